"""One writer per book: a second csdesk is refused (or reads only); a dead one's lock is taken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import DatabaseLockedError, ReadOnlyError
from csdesk.models import Account

HOLDER = textwrap.dedent("""
    import sys, time
    from csdesk.config import resolve_database
    from csdesk.db import Database
    db = Database.open(resolve_database(sys.argv[1]))
    print("locked", flush=True)
    sys.stdin.readline()   # hold the lock until told (or killed)
""")


def _holder(location: DatabaseLocation) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(location.path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_is_refused_with_the_holder_named(location: DatabaseLocation) -> None:
    Database.open(location).close()
    proc = _holder(location)
    try:
        with pytest.raises(DatabaseLockedError, match=f"process {proc.pid}"):
            Database.open(location)
        with Database.open(location, readonly_if_locked=True) as db:
            assert db.readonly
            with pytest.raises(ReadOnlyError), db.write() as s:
                s.add(Account(external_id="A", name="A", segment="smb",
                              engagement_model="tech_touch"))
    finally:
        proc.communicate("\n", timeout=10)


def test_stale_lock_of_a_killed_process_is_taken_over(location: DatabaseLocation) -> None:
    Database.open(location).close()
    proc = _holder(location)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert location.path is not None
    assert location.path.with_name(location.path.name + ".lock.owner").exists()  # left behind
    with Database.open(location) as db:
        assert not db.readonly


def test_lock_is_released_on_close(location: DatabaseLocation) -> None:
    Database.open(location).close()
    Database.open(location).close()
