"""Fixtures the report tests share: poppler's pdftoppm and pdftotext to check every PDF."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail


@pytest.fixture
def poppler():
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        skip_or_fail(
            "poppler's pdftoppm/pdftotext are not installed (apt-get install poppler-utils)"
        )

    def check(pdf: bytes, tmp: Path) -> str:
        """Render page 1 to PNG (it must be a real image) and return the PDF's text."""
        path = tmp / "check.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp / "page")],
            check=True,
        )
        png = next(tmp.glob("page*.png"))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        )
        return text.stdout

    return check
