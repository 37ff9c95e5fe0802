"""Files of entries for the bulk-import tests."""

from __future__ import annotations

import json
from pathlib import Path


def amount(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def entry_json(i: int) -> dict[str, object]:
    """A balanced entry, different for each i, on the two entities in turn."""
    fen = 100 + i * 7
    if i % 2:
        return {"entity": "foundation", "effective_date": f"2026-11-{1 + i % 28:02d}",
                "memo": f"捐赠 #{i}", "source": {"kind": "import", "id": f"t-{i}"},
                "postings": [{"account": "1002", "debit": amount(fen)},
                             {"account": "490101", "credit": amount(fen), "memo": "=SUM(A1)"}]}
    return {"entity": "fund", "effective_date": f"2026-12-{1 + i % 28:02d}",
            "memo": f"互助资金 {i}",
            "postings": [{"account": "1002", "debit": amount(fen * 10)},
                         {"account": "420101", "credit": amount(fen * 3)},
                         {"account": "2209", "credit": amount(fen * 7), "currency": "CNY"}]}


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))
                            + "\n" for r in rows), encoding="utf-8")
    return path
