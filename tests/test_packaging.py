"""The wheel carries every package, the migrations and the resources (fonts, icons, demo)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (path,) = out.glob("csdesk-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_resources_and_migrations(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for expected in (
        "csdesk/resources/fonts/DejaVuSans.ttf",
        "csdesk/resources/fonts/DejaVuSans-Bold.ttf",
        "csdesk/resources/fonts/DejaVuSans-Oblique.ttf",
        "csdesk/resources/fonts/DejaVuSans-BoldOblique.ttf",
        "csdesk/resources/fonts/LICENSE_DEJAVU",
        "csdesk/resources/icons/csdesk.svg",
        "csdesk/resources/demo/names.json",
        "csdesk/migrations/env.py",
        "csdesk/migrations/script.py.mako",
    ):
        assert expected in names, expected
    versions = [n for n in names if n.startswith("csdesk/migrations/versions/")
                and n.endswith(".py") and not n.endswith("__init__.py")]
    assert len(versions) == len(list((ROOT / "csdesk/migrations/versions").glob("2*.py")))


def test_wheel_has_every_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for init in (ROOT / "csdesk").rglob("__init__.py"):
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, f"{rel} missing: add its package to pyproject [tool.setuptools]"


def test_entry_point(wheel: zipfile.ZipFile) -> None:
    (ep,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert "csdesk = csdesk.cli.main:main" in wheel.read(ep).decode()


def test_resources_load_in_this_install() -> None:
    """The running install (editable in development) finds the same files."""
    from importlib import resources

    fonts = resources.files("csdesk.resources") / "fonts"
    assert (fonts / "DejaVuSans.ttf").read_bytes()[:4] == b"\x00\x01\x00\x00"
