"""The Chinese catalogue covers every user-visible string of the pages, with no fuzzy guesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "api/translations/zh_Hans/LC_MESSAGES/messages.po"


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    catalog = _catalog(PO)
    missing = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == []
    assert fuzzy == []


def test_the_catalogue_holds_every_string_of_the_source(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", "api/web/babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    wanted = {m.id for m in _catalog(pot) if m.id}
    have = {m.id for m in _catalog(PO) if m.id}
    assert sorted(wanted - have) == [], "run pybabel update (see README) and translate"
