"""``python -m csdesk`` runs the command line."""

from __future__ import annotations

import sys

from csdesk.cli.main import main

sys.exit(main())
