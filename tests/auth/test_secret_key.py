"""The instance's secret key, made on first start, is one key even when several gunicorn
workers start at the same moment (each would otherwise sign sessions with its own key)."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from types import SimpleNamespace

from api import _instance_secret


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    app = SimpleNamespace(instance_path=str(tmp_path / "instance"))
    start = threading.Barrier(16)
    keys: list[str] = []

    def worker() -> None:
        start.wait()
        keys.append(_instance_secret(app))  # type: ignore[arg-type]

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    key_file = tmp_path / "instance" / "secret_key"
    assert len(keys) == 16
    assert set(keys) == {key_file.read_text()}
    assert len(keys[0]) == 64
    assert set(keys[0]) <= set("0123456789abcdef")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["secret_key"]


def test_an_existing_key_is_kept(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("k" * 64 + "\n")
    app = SimpleNamespace(instance_path=str(tmp_path))
    assert _instance_secret(app) == "k" * 64  # type: ignore[arg-type]
