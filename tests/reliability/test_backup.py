"""`flask --app api backup FILE` and `restore FILE` on the demo books, on SQLite and PostgreSQL.

The checker `assert_restored`: `ledger verify` passes on the restored books, every table holds
the same rows, and the statements are byte-identical: the stored PDF of the signed period
(2026-10) and the data of the signed and of a draft period (figures and ledger lines; a draft
PDF embeds the time it was generated, and is a pure function of those data). A refused or
failed restore leaves the books as they were. Each check is shown able to fail: a restore that
skips a table, and one that writes into the live file, are both caught.
"""

# ruff: noqa: F811 - the fixtures imported from backup_support are parameters here
from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine, make_url

from api import create_app, state
from ledger.db import backup as store
from ledger.db.session import make_engine

from .backup_support import (  # noqa: F401 - fixtures
    Statements,
    demo_pg,
    demo_sqlite,
    demo_url,
    empty_url,
    fingerprint,
    statements,
)

#: SQLite's file handling; PostgreSQL's restore is one transaction (pg_restore
#: --single-transaction), its damaged archive is covered by the round trip.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


_APP: list[Flask] = []


def app_on(url: str) -> Flask:
    """The app, pointed at the books at `url` (one app for the module: making one takes
    about 0.3 s of CPU)."""
    if not _APP:
        _APP.append(create_app({"TESTING": True, "DATABASE_URL": url,
                                "SECRET_KEY": "backup tests, not for production"}))
    app = _APP[0]
    with app.app_context():
        state.engine().dispose()
    app.config["DATABASE_URL"] = url
    state.init_app(app)
    return app


def cli(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        state.engine().dispose()  # a restore replaces the books under the app's pool
    return result


def _backup_of_empty_books(empty_url: str, tmp_path: Path) -> Path:
    """A backup of migrated books with nothing in them."""
    empty_app = app_on(empty_url)
    assert cli(empty_app, "db", "upgrade").exit_code == 0
    file = tmp_path / "empty.backup"
    assert cli(empty_app, "backup", str(file)).exit_code == 0
    return file


@pytest.fixture
def books(demo_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def assert_restored(engine: Engine, url: str, rows: dict[str, str], before: Statements) -> None:
    """The restored books verify and equal the original, row for row and statement for
    statement."""
    verified = cli(app_on(url), "ledger", "verify")
    assert verified.exit_code == 0, verified.output
    found = fingerprint(engine)
    assert found == rows, f"tables differ: {sorted(t for t in rows if found.get(t) != rows[t])}"
    after = statements(engine)
    assert after.signed_pdf == before.signed_pdf, "the signed period's PDF differs"
    assert after == before


def test_backup_then_restore_into_an_empty_database(books: Engine, demo_url: str,
                                                     empty_url: str, tmp_path: Path) -> None:
    """The round trip; then a second restore into the (now full) books is refused without
    --force, a damaged backup is refused even with it, and --force restores."""
    rows, before = fingerprint(books), statements(books)
    file = tmp_path / "books.backup"
    made = cli(app_on(demo_url), "backup", str(file))
    assert made.exit_code == 0, made.output
    assert "backed up to" in made.stdout
    assert file.stat().st_mode & 0o777 == 0o600

    restored = cli(app_on(empty_url), "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert "ok: the journal and the audit log verify" in restored.stdout
    target = make_engine(empty_url)
    try:
        assert_restored(target, empty_url, rows, before)

        refused = cli(app_on(empty_url), "restore", str(file))
        assert refused.exit_code == 1
        assert "already holds books" in refused.output
        assert fingerprint(target) == rows

        damaged = tmp_path / "damaged.backup"
        damaged.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
        target.dispose()
        refused = cli(app_on(empty_url), "restore", "--force", str(damaged))
        assert refused.exit_code == 1
        assert "Error:" in refused.output
        assert fingerprint(target) == rows
        assert not list(Path(make_url(empty_url).database or "/").parent.glob(".*.part"))

        target.dispose()
        forced = cli(app_on(empty_url), "restore", "--force", str(file))
        assert forced.exit_code == 0, forced.output
        assert fingerprint(target) == rows
    finally:
        target.dispose()


@SQLITE_ONLY
def test_force_replaces_books_that_are_not_empty(books: Engine, demo_url: str, empty_url: str,
                                                 tmp_path: Path) -> None:
    file = _backup_of_empty_books(empty_url, tmp_path)
    books.dispose()
    forced = cli(app_on(demo_url), "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert "0 entries" in forced.stdout
    empty = make_engine(empty_url)
    try:
        assert fingerprint(books) == fingerprint(empty)
    finally:
        empty.dispose()


@SQLITE_ONLY
def test_a_tampered_backup_is_refused(books: Engine, demo_url: str, tmp_path: Path) -> None:
    """An amount changed in the backup behind the ledger's back (its trigger dropped first):
    the restore names the entry and leaves the books as they were."""
    file = tmp_path / "books.backup"
    assert cli(app_on(demo_url), "backup", str(file)).exit_code == 0
    with sqlite3.connect(file) as conn:
        conn.execute("DROP TRIGGER postings_no_update")
        conn.execute("UPDATE postings SET debit = debit + 1 "
                     "WHERE entry_seq = 7 AND debit IS NOT NULL AND debit > 0")
    conn.close()
    rows = fingerprint(books)
    books.dispose()
    refused = cli(app_on(demo_url), "restore", "--force", str(file))
    assert refused.exit_code == 1
    assert "does not verify at entry #7" in refused.output
    assert fingerprint(books) == rows


# --- each check can fail ------------------------------------------------------------------------
def _skip_statement_files(monkeypatch: pytest.MonkeyPatch, backend: str, tmp_path: Path) -> None:
    """A restore that leaves out one table's rows (the stored PDFs of signed periods)."""
    if backend == "sqlite":
        copy = store._copy_sqlite

        def copy_but_one(source: Any, target: Path, pages: int, progress: Any) -> None:
            copy(source, target, pages, progress)
            with sqlite3.connect(target) as conn:
                conn.execute("DROP TRIGGER statement_files_no_delete")
                conn.execute("DELETE FROM statement_files")
            conn.close()

        monkeypatch.setattr(store, "_copy_sqlite", copy_but_one)
        return
    run = store._run

    def run_but_one(command: list[str], *args: Any) -> None:
        if Path(command[0]).name == "pg_restore":
            listed = store.subprocess.run([command[0], "--list", command[-1]],
                                          capture_output=True, text=True, check=True).stdout
            kept = tmp_path / "kept.list"
            kept.write_text("\n".join(line for line in listed.splitlines()
                                      if "TABLE DATA public statement_files" not in line))
            command = [*command[:-1], f"--use-list={kept}", command[-1]]
        run(command, *args)

    monkeypatch.setattr(store, "_run", run_but_one)


def test_a_restore_that_skips_a_table_is_caught(books: Engine, demo_url: str, empty_url: str,
                                                backend: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fingerprint(books)
    before = statements(books)
    file = tmp_path / "books.backup"
    assert cli(app_on(demo_url), "backup", str(file)).exit_code == 0
    _skip_statement_files(monkeypatch, backend, tmp_path)
    assert cli(app_on(empty_url), "restore", str(file)).exit_code == 0  # chains still verify
    target = make_engine(empty_url)
    try:
        with pytest.raises(AssertionError, match="statement_files"):
            assert_restored(target, empty_url, rows, before)
    finally:
        target.dispose()


@SQLITE_ONLY
@pytest.mark.parametrize("atomic", [True, False])
def test_a_restore_failing_half_way_leaves_the_books_as_they_were(
        books: Engine, demo_url: str, empty_url: str, tmp_path: Path, atomic: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The restore fails after copying (as if killed, or the copy were bad). The real one
    copied into a temporary file; a broken, non-atomic one copying into the live database
    file is caught by the same check. (PostgreSQL restores in one transaction.)"""
    file = _backup_of_empty_books(empty_url, tmp_path)
    rows = fingerprint(books)

    def fail(*_args: Any) -> None:
        raise store.BackupFailed("killed half-way")

    monkeypatch.setattr(store, "_check_sqlite", fail)
    if not atomic:
        monkeypatch.setattr(store, "_temp_beside", lambda target: target)
    books.dispose()
    failed = cli(app_on(demo_url), "restore", "--force", str(file))
    assert failed.exit_code == 1
    assert "killed half-way" in failed.output
    if atomic:
        assert fingerprint(books) == rows
    else:
        with pytest.raises(AssertionError):
            assert fingerprint(books) == rows


def test_a_backup_onto_a_full_disk_fails_clearly_and_leaves_no_file(db_url: str,
                                                                     tmp_path: Path) -> None:
    """A 64 KiB tmpfs (root mounts it; skipped otherwise) cannot hold the backup."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        failed = cli(app_on(db_url), "backup", str(disk / "books.backup"))
        assert failed.exit_code == 1
        assert "Error:" in failed.output
        assert "Traceback" not in failed.output
        assert not list(disk.iterdir())  # neither the backup nor a temporary part of it
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@POSTGRES_ONLY
@pytest.mark.parametrize("verified_first", [True, False])
def test_restored_books_that_do_not_verify_never_replace_the_books(
        books: Engine, demo_url: str, empty_url: str, tmp_path: Path, verified_first: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL restores into a database beside the books and verifies it there before
    renaming it into place. Verification fails here (as for tampered books): the books stay
    as they were and no scratch database is left. A broken restore that writes into the books
    first (`pg_restore --clean` into them, then verifies) is caught by the same check."""
    file = _backup_of_empty_books(empty_url, tmp_path)
    rows = fingerprint(books)

    def fail(*_args: Any) -> None:
        raise store.BackupFailed("does not verify")

    monkeypatch.setattr(store, "_verify_books", fail)
    if not verified_first:
        def in_place(engine: Engine, source: Path, *_args: Any) -> None:
            engine.dispose()
            subprocess.run([store._pg_tool(engine, "pg_restore"), "--clean", "--if-exists",
                            "--no-owner", "--single-transaction", "--exit-on-error",
                            f"--dbname={engine.url.database}", str(source)],
                           env=store._pg_env(engine), check=True, capture_output=True)
            fail()

        monkeypatch.setattr(store, "_restore_pg", in_place)
    books.dispose()
    failed = cli(app_on(demo_url), "restore", "--force", str(file))
    assert failed.exit_code == 1
    assert "does not verify" in failed.output
    if verified_first:
        assert fingerprint(books) == rows
        url = make_url(demo_url)
        with psycopg.connect(url.set(drivername="postgresql", database="postgres")
                             .render_as_string(hide_password=False)) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                (f"{url.database[:40]}_restoring_",)).fetchall()
        assert left == []
    else:
        with pytest.raises(AssertionError):
            assert fingerprint(books) == rows
