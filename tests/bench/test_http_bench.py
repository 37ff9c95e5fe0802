"""Smoke test of bench/http.py: its core, for two seconds, with two clients, on SQLite.

A real gunicorn serves a fresh database; every request must be answered 201, the books must
hold exactly the entries acknowledged, and both hash chains must verify.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench_http(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
    return importlib.import_module("bench.http")


def test_posts_entries_through_gunicorn_on_sqlite(bench_http: ModuleType) -> None:
    settings = bench_http.ServerSettings(workers=2)
    with bench_http.scratch("sqlite", "huzhu_bench_http_smoke", migrated=False) as url:
        result = bench_http.run("sqlite", url, clients=2, seconds=2.0, warmup=0.5,
                                settings=settings)
    load, books = result.load, result.books
    assert load.errors == 0, load.error_samples
    assert load.ok > 0
    assert load.rate > 0
    assert books.entries == load.ok + load.warmup_ok
    assert books.chain_ok, books.chain
    assert books.audit_ok, books.audit
    assert result.sound
