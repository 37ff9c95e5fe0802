"""Backups of the books and their restore (no Flask; `flask --app api backup|restore`).

- SQLite: the online backup API copies one consistent snapshot while the service keeps writing
  (WAL: writers are not blocked). The copy is written beside the destination, switched to a
  single self-contained file (journal_mode=DELETE), checked, then renamed into place.
- PostgreSQL: `pg_dump --format=custom` (one snapshot; writers are not blocked) and
  `pg_restore --single-transaction` into a new database beside the books, verified there and
  then renamed into place, with the client of the server's version.

A restore checks the backup first (SQLite: integrity, foreign keys, both hash chains on a
copy; PostgreSQL: the whole archive read, its table of contents), refuses books that are not
empty unless `force`, and is atomic: the restored books are verified before they replace the
ones in place (SQLite: a file renamed over the database file; PostgreSQL: a database renamed
over the books' name, the old one dropped).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ledger.core.errors import Conflict, LedgerError

from .chain import verify, verify_audit

__all__ = ["BackupFailed", "BackupReport", "BooksNotEmpty", "Progress", "backup", "is_empty",
           "kind_of", "restore"]

#: (stage, done, total): called as a stage advances (pages copied, entries verified, tables).
Progress = Callable[[str, int, int], None]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: Tables whose rows make books "not empty"; tables a backup must hold.
BOOK_TABLES = ("journal_entries", "users", "audit_log")
REQUIRED_TABLES = ("alembic_version", "journal_entries", "postings", "audit_log")
PAGES_PER_STEP = 256  # restore copies a static file: a progress tick every 1 MiB


class BackupFailed(LedgerError):
    """A backup could not be written or read, or does not verify; nothing was changed."""

    code = "backup-failed"
    title = "The backup failed"


class BooksNotEmpty(Conflict):
    """A restore would overwrite books that hold entries, accounts or audit records."""

    code = "books-not-empty"
    title = "The books are not empty"


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup holds (or a restore brought back), as verified."""

    path: Path
    kind: str  # "sqlite" or "pg_dump"
    size: int
    entries: int
    head_hash: str
    audit_records: int
    revision: str | None
    seconds: float


def _noop(stage: str, done: int, total: int) -> None:
    """No progress shown."""


# --- what a file is, whether books are empty --------------------------------------------------
def kind_of(path: Path) -> str:
    """"sqlite" or "pg_dump" by the file's magic bytes (BackupFailed otherwise)."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError as error:
        raise BackupFailed(f"cannot read {path}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "pg_dump"
    raise BackupFailed(f"{path} is neither a SQLite database nor a pg_dump custom-format "
                       f"archive")


def is_empty(engine: Engine) -> bool:
    """No tables yet, or no journal entry, staff account or audit record."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        return all(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() == 0
                   for t in BOOK_TABLES if t in tables)


def _verify_books(bind: Engine | Connection, path: Path, kind: str, progress: Progress,
                  started: float) -> BackupReport:
    """Both hash chains (and the daily totals) of the books at `bind`, or BackupFailed."""
    with Session(bind) as session:
        tables = set(inspect(session.connection()).get_table_names())
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BackupFailed(f"{path} lacks the tables {', '.join(missing)}")
        total = session.scalar(text("SELECT count(*) FROM journal_entries")) or 0
        journal = verify(session, lambda seq: progress("verify", seq, total))
        audit = verify_audit(session)
        revision = session.scalar(text("SELECT version_num FROM alembic_version"))
    for name, report in (("entry", journal), ("audit record", audit)):
        if not report.ok:
            raise BackupFailed(f"{path} does not verify at {name} #{report.first_bad}: "
                               f"{report.reason}")
    size = path.stat().st_size if path.exists() else 0
    return BackupReport(path, kind, size, journal.checked, journal.head_hash, audit.checked,
                        revision, time.perf_counter() - started)


# --- files: temp beside the target, fsync, rename ---------------------------------------------
def _temp_beside(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent)
    os.close(handle)
    return Path(name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(temp: Path, target: Path) -> None:
    """Rename the finished, synced file into place and sync the directory."""
    _fsync(temp)
    os.replace(temp, target)
    _fsync(target.parent)


@contextlib.contextmanager
def _removed_on_failure(temp: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _storage_failure(path: Path, error: OSError | sqlite3.Error) -> BackupFailed:
    reason = getattr(error, "strerror", None) or str(error)
    return BackupFailed(f"cannot write {path}: {reason}; nothing was changed")


# --- SQLite -------------------------------------------------------------------------------------
def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupFailed("only a SQLite database in a file can be backed up or restored")
    return Path(database).resolve()


def _copy_sqlite(source: sqlite3.Connection, target: Path, pages: int,
                 progress: Progress) -> None:
    """Copy `source` into the file `target` with the backup API, then make it one file."""
    with contextlib.closing(sqlite3.connect(target)) as copy:
        source.backup(copy, pages=pages,
                      progress=lambda _status, left, total: progress("copy", total - left, total))
        copy.execute("PRAGMA journal_mode=DELETE")


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def _check_sqlite(path: Path, progress: Progress, started: float) -> BackupReport:
    """SQLite's own checks, then the books' (read only)."""
    with contextlib.closing(_read_only(path)) as conn:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if found != ["ok"]:
            raise BackupFailed(f"{path} fails SQLite's integrity check: {'; '.join(found[:3])}")
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise BackupFailed(f"{path} has rows whose foreign keys point nowhere")
    engine = create_engine("sqlite://", creator=lambda: _read_only(path))
    try:
        return _verify_books(engine, path, "sqlite", progress, started)
    finally:
        engine.dispose()


def _backup_sqlite(engine: Engine, destination: Path, progress: Progress,
                   started: float) -> BackupReport:
    source_path = _sqlite_file(engine)
    temp = _temp_beside(destination)
    with _removed_on_failure(temp):
        try:
            with contextlib.closing(sqlite3.connect(source_path, timeout=30)) as source:
                # One step: one read snapshot for the whole copy. In steps, every write the
                # service commits in between would restart the copy.
                _copy_sqlite(source, temp, -1, progress)
        except sqlite3.Error as error:
            raise _storage_failure(destination, error) from None
        report = _check_sqlite(temp, progress, started)
        temp.chmod(0o600)
        _publish(temp, destination)
    return _at(report, destination)


def _at(report: BackupReport, path: Path) -> BackupReport:
    return BackupReport(path, report.kind, path.stat().st_size, report.entries,
                        report.head_hash, report.audit_records, report.revision,
                        report.seconds)


def _restore_sqlite(engine: Engine, source: Path, progress: Progress,
                    started: float) -> BackupReport:
    target = _sqlite_file(engine)
    temp = _temp_beside(target)
    with _removed_on_failure(temp):
        try:
            with contextlib.closing(_read_only(source)) as src:
                _copy_sqlite(src, temp, PAGES_PER_STEP, progress)
        except sqlite3.Error as error:
            raise _storage_failure(target, error) from None
        report = _check_sqlite(temp, progress, started)
        with contextlib.closing(sqlite3.connect(temp)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # as the service runs it
        engine.dispose()
        _quiesce(target)
        temp.chmod(target.stat().st_mode & 0o777 if target.exists() else 0o600)
        _publish(temp, target)
    return _at(report, target)


def _quiesce(target: Path) -> None:
    """Fold the target's write-ahead log into it, so no stale -wal is left beside the file
    renamed over it; refuse if another connection (a running service) still has it open."""
    if not target.exists():
        return
    with contextlib.closing(sqlite3.connect(target, timeout=30)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # The last connection to close removes the -wal and -shm files.
    if any(Path(f"{target}{suffix}").exists() for suffix in ("-wal", "-shm")):
        raise BackupFailed(f"{target} is in use (stop the service first); nothing was changed")


# --- PostgreSQL ---------------------------------------------------------------------------------
def _pg_env(engine: Engine) -> dict[str, str]:
    url = engine.url
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or "postgres", "PGDATABASE": url.database or "postgres"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _pg_tool(engine: Engine, name: str) -> str:
    """The client tool of the server's major version (a dump restores only into the same or
    a newer server, and pg_dump refuses a newer server than itself)."""
    with engine.connect() as conn:
        major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} (PostgreSQL {major} client) is not installed")
    return found


def _run(command: list[str], env: dict[str, str], stage: str, total: int,
         progress: Progress, ticks: re.Pattern[str]) -> None:
    """Run a client tool with --verbose, a progress tick for each table its stderr names."""
    done, errors = 0, []
    with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if ticks.search(line):
                done += 1
                progress(stage, min(done, total), total)
            elif "error" in line.lower() or "fatal" in line.lower():
                errors.append(line.strip())
    if proc.returncode != 0:
        raise BackupFailed(f"{Path(command[0]).name} failed: "
                           f"{'; '.join(errors[-3:]) or f'exit {proc.returncode}'}")
    progress(stage, total, total)


def _pg_tables(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(inspect(conn).get_table_names())


def _dump_toc(engine: Engine, path: Path) -> list[str]:
    """The tables whose data the archive holds (pg_restore --list), once the whole archive
    has been read (as a script, to /dev/null); or BackupFailed."""
    found = subprocess.run([_pg_tool(engine, "pg_restore"), "--list", str(path)],
                           capture_output=True, text=True, check=False)
    if found.returncode != 0:
        raise BackupFailed(f"{path} is not a readable pg_dump archive: "
                           f"{found.stderr.strip()}")
    read = subprocess.run([_pg_tool(engine, "pg_restore"), "--file=/dev/null", str(path)],
                          capture_output=True, text=True, check=False)
    if read.returncode != 0:  # every data block read and decompressed, to its end
        raise BackupFailed(f"{path} is damaged: {read.stderr.strip()}")
    tables = re.findall(r"TABLE DATA \S+ (\S+) ", found.stdout)
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupFailed(f"{path} holds no data for the tables {', '.join(missing)}")
    return tables


def _backup_pg(engine: Engine, destination: Path, progress: Progress,
               started: float) -> BackupReport:
    """pg_dump of a snapshot exported by a transaction that verifies the very same books."""
    temp = _temp_beside(destination)
    tool, env, tables = _pg_tool(engine, "pg_dump"), _pg_env(engine), _pg_tables(engine)
    with _removed_on_failure(temp), engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            _run([tool, "--format=custom", "--verbose", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={temp}"], env, "dump", tables, progress,
                 re.compile(r"dumping contents of table"))
            report = _verify_books(conn, temp, "pg_dump", progress, started)
        _dump_toc(engine, temp)
        temp.chmod(0o600)
        _publish(temp, destination)
    return _at(report, destination)


def _maintenance(engine: Engine) -> Engine:
    """An engine on the server's maintenance database, to create, rename and drop others."""
    return create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                         poolclass=NullPool)


def _restore_pg(engine: Engine, source: Path, progress: Progress,
                started: float) -> BackupReport:
    """pg_restore into a new database beside the books, verify it there, then swap names:
    books that do not verify never replace the ones in place, and no table of the old books
    outlives the restore."""
    tables = _dump_toc(engine, source)
    tool = _pg_tool(engine, "pg_restore")
    target = str(engine.url.database)
    token = secrets.token_hex(4)
    scratch, replaced = f"{target[:40]}_restoring_{token}", f"{target[:40]}_replaced_{token}"
    admin = _maintenance(engine)
    engine.dispose()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        try:
            _run([tool, "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", "--verbose", f"--dbname={scratch}", str(source)],
                 _pg_env(engine), "restore", len(tables), progress,
                 re.compile(r"processing data for table"))
            restored = create_engine(engine.url.set(database=scratch), poolclass=NullPool)
            try:
                report = _verify_books(restored, source, "pg_dump", progress, started)
            finally:
                restored.dispose()
            with admin.connect() as conn:
                try:
                    conn.execute(text(f'ALTER DATABASE "{target}" RENAME TO "{replaced}"'))
                except DBAPIError:
                    raise BackupFailed(f"{target} is in use (stop the service first); nothing "
                                       f"was changed") from None
                conn.execute(text(f'ALTER DATABASE "{scratch}" RENAME TO "{target}"'))
                conn.execute(text(f'DROP DATABASE "{replaced}"'))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    finally:
        admin.dispose()
    return report


# --- the use cases ------------------------------------------------------------------------------
def backup(engine: Engine, destination: Path, progress: Progress = _noop) -> BackupReport:
    """Write a verified backup of the books to `destination` (replaced only once complete)."""
    started = time.perf_counter()
    destination = destination.resolve()
    if not destination.parent.is_dir():
        raise BackupFailed(f"{destination.parent} is not a directory")
    try:
        if engine.dialect.name == "sqlite":
            return _backup_sqlite(engine, destination, progress, started)
        return _backup_pg(engine, destination, progress, started)
    except OSError as error:
        raise _storage_failure(destination, error) from None


def restore(engine: Engine, source: Path, *, force: bool = False,
            progress: Progress = _noop) -> BackupReport:
    """Replace the books at `engine` by the backup `source`, checked first. Refuses books that
    are not empty unless `force`. The engine's pooled connections are closed."""
    started = time.perf_counter()
    source = source.resolve()
    kind = kind_of(source)
    wanted = "sqlite" if engine.dialect.name == "sqlite" else "pg_dump"
    if kind != wanted:
        raise BackupFailed(f"{source} is a {kind} backup; this service's database is "
                           f"{engine.dialect.name}")
    if not force and not is_empty(engine):
        raise BooksNotEmpty("the database already holds books; restore into an empty one, or "
                            "pass --force to replace them (nothing was changed)")
    try:
        if kind == "sqlite":
            return _restore_sqlite(engine, source, progress, started)
        return _restore_pg(engine, source, progress, started)
    except OSError as error:
        raise _storage_failure(source, error) from None
