"""An export writes only its own files, whole, privately; a failure leaves everything as it was."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import ReplaceRefused
from csdesk.progress import Cancelled
from csdesk.services.sync.export import MANIFEST, ExportRefused, export_book, export_entity


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


def _user_folder(tmp_path: Path) -> Path:
    docs = tmp_path / "Docs"
    (docs / "photos").mkdir(parents=True)
    (docs / "thesis.docx").write_text("t")
    (docs / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    return docs


def test_a_folder_of_the_users_files_is_refused_untouched(
        demo_location: DatabaseLocation, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    docs = _user_folder(tmp_path)
    before = _tree(docs)
    code = main(["export", str(docs), "--db", str(demo_location.path)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0 and "thesis.docx" in err and "nothing was written" in err
    assert _tree(docs) == before


def test_export_into_the_current_folder(demo_location: DatabaseLocation, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["export", ".", "--db", str(demo_location.path)]) == 0
    assert (here / "accounts.csv").is_file() and (here / MANIFEST).is_file()
    assert "Traceback" not in capsys.readouterr().err


def test_a_previous_export_is_replaced_file_by_file(demo_db: Database, tmp_path: Path) -> None:
    target = tmp_path / "export"
    first = export_book(demo_db, target)
    names = {r.path.name for r in first} | {MANIFEST}
    assert {p.name for p in target.iterdir()} == names
    (target / "accounts.csv").write_text("stale")
    export_book(demo_db, target)  # a csdesk export: its own files are replaced
    assert (target / "accounts.csv").read_text().startswith("external_id")
    assert {p.name for p in target.iterdir()} == names
    # Once the user keeps something of theirs there, the folder is no longer ours alone.
    (target / "notes.txt").write_text("mine")
    before = _tree(target)
    with pytest.raises(ExportRefused, match=r"notes\.txt"):
        export_book(demo_db, target)
    assert _tree(target) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_exported_files_are_private(demo_db: Database, tmp_path: Path) -> None:
    export_book(demo_db, tmp_path / "new" / "export")
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    for p in (tmp_path / "new" / "export").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    export_book(demo_db, tmp_path / "book.zip")
    assert stat.S_IMODE((tmp_path / "book.zip").stat().st_mode) == 0o600


def test_a_zip_that_is_not_ours_is_refused(demo_db: Database, tmp_path: Path) -> None:
    theirs = tmp_path / "photos.zip"
    with zipfile.ZipFile(theirs, "w") as zf:
        zf.writestr("cat.jpg", b"\xff\xd8")
    before = theirs.read_bytes()
    with pytest.raises(ExportRefused, match="not a csdesk export"):
        export_book(demo_db, theirs)
    assert theirs.read_bytes() == before
    ours = tmp_path / "book.zip"
    export_book(demo_db, ours)
    export_book(demo_db, ours)  # our own zip is replaced
    with zipfile.ZipFile(ours) as zf:
        assert MANIFEST in zf.namelist()


def test_one_entity_never_replaces_a_file_csdesk_did_not_write(demo_db: Database,
                                                                tmp_path: Path) -> None:
    mine = tmp_path / "accounts.csv"
    mine.write_text("my,own\n1,2\n")
    with pytest.raises(ReplaceRefused, match="--overwrite"):
        export_entity(demo_db, "accounts", mine)
    assert mine.read_text() == "my,own\n1,2\n"
    export_entity(demo_db, "accounts", mine, overwrite=True)  # the user said so
    assert mine.read_text().startswith("external_id")
    # A CSV headed exactly as csdesk exports it may be the user's own import template.
    template = tmp_path / "template.csv"
    template.write_text(mine.read_text().splitlines()[0] + "\nNEW-1,New one\n")
    before = template.read_text()
    with pytest.raises(ReplaceRefused):
        export_entity(demo_db, "accounts", template)
    assert template.read_text() == before
    # Inside a csdesk export folder, its own files are replaced.
    export_book(demo_db, tmp_path / "export")
    export_entity(demo_db, "accounts", tmp_path / "export" / "accounts.csv")


def test_cancel_leaves_the_previous_export_whole(demo_db: Database, tmp_path: Path) -> None:
    target = tmp_path / "export"
    export_book(demo_db, target)
    before = _tree(target)
    polls = iter(range(1_000_000))
    with pytest.raises(Cancelled):
        export_book(demo_db, target, cancel=lambda: next(polls) > 6)
    assert _tree(target) == before


def _limited(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE stands in for a full disk")
def test_a_full_disk_says_so_and_keeps_the_previous_export(demo_location: DatabaseLocation,
                                                           tmp_path: Path) -> None:
    target = tmp_path / "export"
    assert main(["export", str(target), "--db", str(demo_location.path)]) == 0
    before = _tree(target)
    # A file-size limit makes every write past 64 KiB fail with EFBIG, as a full disk would.
    done = subprocess.run([sys.executable, "-m", "csdesk", "export", str(target), "--db",
                           str(demo_location.path)], capture_output=True, text=True,
                          preexec_fn=_limited(64 * 1024), timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "disk is full" in done.stderr and "previous export is kept" in done.stderr
    assert _tree(target) == before  # no half file, no temporary left behind
    fresh = tmp_path / "fresh"
    done = subprocess.run([sys.executable, "-m", "csdesk", "export", str(fresh), "--db",
                           str(demo_location.path)], capture_output=True, text=True,
                          preexec_fn=_limited(64 * 1024), timeout=120)
    assert done.returncode == 1 and "nothing was written" in done.stderr
    assert not fresh.exists()
