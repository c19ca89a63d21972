"""The error log: every unexpected error csdesk meets is written to ``logs/csdesk.log`` in
the data folder (0600, in a 0700 folder), so nothing fails silently and a bug report has
the detail. Writing the log never raises: a log that cannot be written must not turn one
error into two."""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from csdesk import __version__
from csdesk.config import data_dir
from csdesk.safefile import PRIVATE_FILE, private_dir

LOG_NAME = "csdesk.log"
MAX_BYTES = 1_000_000  # then csdesk.log.1 … .3: the log never grows without bound
BACKUPS = 3

_lock = threading.Lock()
_handler: _PrivateRotatingHandler | None = None


class _PrivateRotatingHandler(RotatingFileHandler):
    """A rotating log whose files are created private (0600), whatever the umask."""

    def _open(self):
        return open(self.baseFilename, self.mode, encoding=self.encoding,
                    errors=self.errors, opener=lambda p, f: os.open(p, f, PRIVATE_FILE))


def log_path() -> Path:
    return data_dir() / "logs" / LOG_NAME


def _logger() -> logging.Logger:
    """csdesk's logger, writing to the log in the *current* data folder (tests move it)."""
    global _handler
    logger = logging.getLogger("csdesk")
    path = log_path()
    if _handler is None or Path(_handler.baseFilename) != path:
        if _handler is not None:
            logger.removeHandler(_handler)
            _handler.close()
        private_dir(path.parent)
        _handler = _PrivateRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                           encoding="utf-8", delay=True)
        _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(_handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def format_exception(kind: type[BaseException], exc: BaseException,
                     tb: TracebackType | None) -> str:
    """The traceback, under a line naming csdesk's version and the platform."""
    return (f"csdesk {__version__} · Python {platform.python_version()} · "
            f"{platform.platform(terse=True)}\n"
            + "".join(traceback.format_exception(kind, exc, tb)).rstrip())


def log_error(summary: str, detail: str = "") -> Path | None:
    """Append one entry (a summary line, then the detail) to the log; returns the log's
    path, or ``None`` when it could not be written (the caller still shows the error)."""
    try:
        with _lock:
            logger = _logger()
            logger.error("%s\n%s", summary, detail) if detail else logger.error("%s", summary)
            if _handler is not None:
                _handler.flush()
        return log_path()
    except Exception as exc:  # a full disk, a read-only data folder: say so on stderr only
        print(f"csdesk: could not write the error log ({exc})", file=sys.stderr)
        return None
