"""The PDF file: private to its owner (0600), and replacing the old one whole or not at all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from csdesk.reports.document import Report


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_written_pdf_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private.pdf"
    report = Report("Private")
    report.paragraph("For the customer's eyes")
    old = os.umask(0o022)
    try:
        report.build(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert PdfReader(path).pages
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left


def test_a_failed_build_keeps_the_old_pdf_whole(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.pdf"
    Report("Old").build(path)
    before = path.read_bytes()

    def broken(self: Report, fh: object) -> None:
        fh.write(b"%PDF-half")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    monkeypatch.setattr(Report, "_build", broken)
    with pytest.raises(RuntimeError):
        Report("New").build(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
