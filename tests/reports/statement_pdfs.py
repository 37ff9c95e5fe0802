"""Reading a statements PDF back the way a person and a machine would: the text of each page
(poppler's pdftotext), the fonts (pdffonts), page images (pdftoppm), and with pypdf the
attached CSV and JSON and the XMP metadata's PDF/A identification."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import ARTIFACTS

IMAGES = ARTIFACTS / "statements"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian's poppler-utils) is needed: make test installs it")
    return path


def flat(text: str) -> str:
    """All whitespace removed: table cells and wrapped lines compare as one string."""
    return "".join(text.split())


@dataclass
class ReadPdf:
    path: Path
    pages: list[str]  # each page's text, whitespace removed
    raw_pages: list[str]  # each page's text as pdftotext -raw gives it
    reader: PdfReader

    @property
    def text(self) -> str:
        return "".join(self.pages)

    def shows(self, *expected: str) -> None:
        whole = self.text
        for item in expected:
            assert flat(item) in whole, item

    def attachment(self, name_end: str) -> str:
        found = [data for name, data in self.reader.attachments.items()
                 if name.endswith(name_end)]
        assert len(found) == 1, list(self.reader.attachments)
        assert len(found[0]) == 1, list(self.reader.attachments)
        return found[0][0].decode("utf-8")

    def json(self) -> dict[str, Any]:
        return json.loads(self.attachment(".json"))  # type: ignore[no-any-return]

    def xmp(self) -> str:
        metadata = self.reader.trailer["/Root"]["/Metadata"].get_object()
        return metadata.get_data().decode("utf-8")  # type: ignore[no-any-return]

    def pdfa(self) -> tuple[str, str]:
        """(part, conformance) of the XMP's pdfaid, e.g. ("3", "B")."""
        xmp = self.xmp()
        part = re.search(r'pdfaid:part(?:="|>)(\d)', xmp)
        conformance = re.search(r'pdfaid:conformance(?:="|>)([ABU])', xmp)
        assert part, xmp
        assert conformance, xmp
        return part[1], conformance[1]

    def fonts(self) -> str:
        return subprocess.run([tool("pdffonts"), str(self.path)], check=True,
                              capture_output=True, text=True).stdout


def read_pdf(pdf: bytes, tmp_path: Path, name: str) -> ReadPdf:
    path = tmp_path / name
    path.write_bytes(pdf)
    raw = subprocess.run([tool("pdftotext"), "-raw", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = raw.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(pages) == len(reader.pages)
    return ReadPdf(path, [flat(p) for p in pages], pages, reader)


def assert_cjk_embedded(read: ReadPdf) -> None:
    fonts = read.fonts()
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes " in line for line in cjk), fonts  # embedded and subset


def page_images(read: ReadPdf, name: str, pages: Sequence[int] | None = None) -> list[Path]:
    """PNG images (60 dpi) of the pages (1-based; all by default) under
    test-artifacts/statements/, for people to look at."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    made = []
    for page in pages or range(1, len(read.pages) + 1):
        stem = IMAGES / f"{name}-{page:02d}"
        subprocess.run([tool("pdftoppm"), "-png", "-r", "60", "-f", str(page), "-l", str(page),
                        "-singlefile", str(read.path), str(stem)], check=True)
        image = stem.with_suffix(".png")
        assert image.stat().st_size > 5_000
        made.append(image)
    return made
