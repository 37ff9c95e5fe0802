"""A full disk or a read-only database: `POST /api/entries` answers an RFC 9457 problem (507
"The database's disk is full", 503 "The books are read-only"), `flask --app api ledger import`
exits 1 saying so without a traceback, nothing is written (every table holds the same rows) and
the books verify; once the fault is gone, the same Idempotency-Key or import posts normally.

Disk full: SQLite's `PRAGMA max_page_count` pinned at the file's size plus a few pages (the
in-test equivalent: SQLite answers SQLITE_FULL exactly as on ENOSPC), swept over several
failure points; and a real tmpfs filled until ENOSPC (needs root to mount; skipped otherwise).
Read-only: a read-only bind mount of the SQLite file's directory (root: chmod does not stop
root); on PostgreSQL `default_transaction_read_only = on` for the database.

Shown able to fail: an import that commits entry by entry (not atomic), and the error mapping
removed, are both caught by the same checks.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, make_url

from api import problems, state
from ledger import bulk
from ledger.db.backup import backup

from .backup_support import fingerprint, pg_admin

ENTRY: dict[str, Any] = {
    "entity": "fund", "effective_date": "2026-11-02",
    "memo": "永耀纺织 互助金存入 / Yongyao Textiles mutual-aid deposit",
    "postings": [{"account": "1002", "debit": "350000.00"},
                 {"account": "420101", "credit": "105000.00"},
                 {"account": "2209", "credit": "245000.00"}]}
#: Disk full is simulated on SQLite (PostgreSQL's 53100 disk_full maps the same way).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DISK_FULL = (507, "/problems/database-disk-full", "The database's disk is full")
READ_ONLY = (503, "/problems/database-read-only", "The books are read-only")


def post(client: Any, staff: Any, key: str) -> Any:
    return client.post("/api/entries", json=ENTRY,
                       headers={**staff.bearer("admin1"), "Idempotency-Key": key})


def assert_refused(response: Any, expected: tuple[int, str, str], client: Any = None) -> None:
    """The client is told clearly, as problem details (whose type resolves to the same title
    and status), and never sees a stack trace."""
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert (response.status_code, body["type"], body["title"]) == expected, body
    assert "nothing was written" in body["detail"]
    if client is not None:
        described = client.get(body["type"]).get_json()
        assert (described["status"], described["type"], described["title"]) == expected


def assert_unchanged(engine: Engine, rows: dict[str, str]) -> None:
    found = fingerprint(engine)
    assert found == rows, f"written: {sorted(t for t in rows if found.get(t) != rows[t])}"


def reconnect(app: Flask) -> None:
    with app.app_context():
        state.engine().dispose()


@contextlib.contextmanager
def page_cap(app: Flask, extra: int) -> Iterator[None]:
    """Every new connection of the app may grow the SQLite file by `extra` pages only (rows
    still fit into the free space of the pages it has)."""

    def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + extra}")

    with app.app_context():
        engine = state.engine()
    engine.dispose()
    event.listen(engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(engine, "connect", cap)
        engine.dispose()


@contextlib.contextmanager
def read_only(app: Flask, db_url: str) -> Iterator[Flask]:
    """The app on a read-only database: a read-only bind mount of the SQLite file's directory,
    or PostgreSQL's default_transaction_read_only for the database."""
    url = make_url(db_url)
    if url.drivername.startswith("postgresql"):
        pg_admin(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        reconnect(app)
        try:
            yield app
        finally:
            pg_admin(f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only')
            reconnect(app)
        return
    reconnect(app)
    source = Path(str(url.database)).parent
    view = Path(tempfile.mkdtemp(prefix="huzhu-ro-"))
    try:
        mount(["--bind", str(source), str(view)])
        try:
            mount(["-o", "remount,ro,bind", str(view)])
            with pointed_at(app, view / Path(str(url.database)).name) as ro_app:
                yield ro_app
        finally:
            subprocess.run(["umount", str(view)], check=True)
    finally:
        view.rmdir()


@contextlib.contextmanager
def pointed_at(app: Flask, path: Path) -> Iterator[Flask]:
    """`app` on the SQLite file at `path` for a while (cheaper than another app)."""
    before = app.config["DATABASE_URL"]
    reconnect(app)
    app.config["DATABASE_URL"] = f"sqlite:///{path}"
    state.init_app(app)
    try:
        yield app
    finally:
        reconnect(app)
        app.config["DATABASE_URL"] = before
        state.init_app(app)


def mount(args: list[str]) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (root needed): {done.stderr.strip()}")


# --- over HTTP ----------------------------------------------------------------------------------
@SQLITE_ONLY
def test_a_full_disk_refuses_a_posting_at_every_point(app: Flask, client: Any, engine: Engine,
                                                      staff_accounts: Any) -> None:
    extra, refused = 0, []
    for n in range(60):  # post until the file is full; then allow a page more, and again
        rows = fingerprint(engine)
        with page_cap(app, extra):
            response = post(client, staff_accounts, f"cap-{n}")
        if response.status_code == 201:
            continue
        assert_refused(response, DISK_FULL, client)
        assert_unchanged(engine, rows)
        refused.append(n)
        if len(refused) == 3:
            break
        extra += 1
    assert len(refused) == 3, f"the disk filled only at postings {refused}"
    reconnect(app)
    retried = post(client, staff_accounts, f"cap-{refused[-1]}")
    assert retried.status_code == 201, retried.get_json()


@SQLITE_ONLY
def test_a_really_full_disk_refuses_a_posting(app: Flask, engine: Engine,
                                              staff_accounts: Any) -> None:
    disk = Path(tempfile.mkdtemp(prefix="huzhu-full-"))
    try:
        mount(["-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)])
        try:
            backup(engine, disk / "huzhu.sqlite3")
            with pointed_at(app, disk / "huzhu.sqlite3") as full_app:
                with full_app.app_context():
                    books = state.engine()
                rows = fingerprint(books)
                filler = disk / "filler"
                with filler.open("wb") as file, contextlib.suppress(OSError):
                    while True:
                        file.write(b"\0" * 65536)
                        file.flush()
                response = post(full_app.test_client(), staff_accounts, "enospc")
                assert_refused(response, DISK_FULL)
                books.dispose()
                assert_unchanged(books, rows)
                filler.unlink()
                retried = post(full_app.test_client(), staff_accounts, "enospc")
                assert retried.status_code == 201, retried.get_json()
        finally:
            subprocess.run(["umount", str(disk)], check=True)
    finally:
        disk.rmdir()


def test_a_read_only_database_refuses_a_posting(app: Flask, db_url: str, engine: Engine,
                                                staff_accounts: Any) -> None:
    rows = fingerprint(engine)
    engine.dispose()
    with read_only(app, db_url) as ro_app:
        response = post(ro_app.test_client(), staff_accounts, "read-only")
    assert_refused(response, READ_ONLY, app.test_client())
    assert_unchanged(engine, rows)
    retried = post(app.test_client(), staff_accounts, "read-only")
    assert retried.status_code == 201, retried.get_json()


@SQLITE_ONLY
def test_without_the_mapping_the_client_is_not_told(app: Flask, client: Any, engine: Engine,
                                                    staff_accounts: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(problems, "storage_fault", lambda *_args: None)
    with page_cap(app, 0):
        for n in range(60):  # until the file is full
            response = post(client, staff_accounts, f"unmapped-{n}")
            if response.status_code != 201:
                break
    with pytest.raises(AssertionError):
        assert_refused(response, DISK_FULL)
    assert response.status_code == 503  # "unavailable, retry": not what is wrong


# --- the CLI import -----------------------------------------------------------------------------
def entries_file(tmp_path: Path, count: int = 300) -> Path:
    file = tmp_path / "entries.jsonl"
    lines = [json.dumps({**ENTRY, "memo": f"{ENTRY['memo']} #{n} " + "备注" * 40,
                         "source": {"kind": "import", "id": f"YY-{n}"}}, ensure_ascii=False)
             for n in range(count)]
    file.write_text("\n".join(lines) + "\n")
    return file


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken import: each entry in its own transaction."""
    real = bulk.import_entries

    def import_each(uow: Any, actor: Any, entries: Any, *, key: str, **kwargs: Any) -> Any:
        done = None
        for n, entry in enumerate(entries):
            done = real(uow, actor, [entry], key=f"{key}-{n}")
        return done

    monkeypatch.setattr(bulk, "import_entries", import_each)


@SQLITE_ONLY
@pytest.mark.parametrize("atomic", [True, False])
def test_a_full_disk_stops_an_import_without_a_partial_write(
        app: Flask, runner: Any, engine: Engine, tmp_path: Path, atomic: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not atomic:
        _one_by_one(monkeypatch)
    file = entries_file(tmp_path)
    rows = fingerprint(engine)
    with page_cap(app, 40):  # room for some of the 300 entries, not for all
        result = runner.invoke(args=["ledger", "import", str(file)])
    if not atomic:
        with pytest.raises(AssertionError, match="journal_entries"):
            assert_unchanged(engine, rows)
        return
    assert result.exit_code == 1, result.output
    assert "The database's disk is full. " in result.output
    assert "nothing was written" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert_unchanged(engine, rows)
    again = runner.invoke(args=["ledger", "import", str(file)])
    assert again.exit_code == 0, again.output
    assert "imported 300 entries" in again.output


def test_a_read_only_database_stops_an_import(app: Flask, db_url: str, engine: Engine,
                                              tmp_path: Path) -> None:
    file = entries_file(tmp_path, 20)
    rows = fingerprint(engine)
    engine.dispose()
    with read_only(app, db_url) as ro_app:
        result = ro_app.test_cli_runner().invoke(args=["ledger", "import", str(file)])
    assert result.exit_code == 1, result.output
    assert "The books are read-only. " in result.output
    assert isinstance(result.exception, SystemExit)
    assert_unchanged(engine, rows)
