"""csdesk: an offline desktop workbench for Customer Success Managers."""

from __future__ import annotations

__version__ = "0.1.0"
