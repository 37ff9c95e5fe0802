"""Crash safety: SIGKILL the importer and the HTTP service during a large bulk import.

    python -m bench.crash [--kills 200] [--database sqlite|postgresql] [--segment 25]
                          [--seed 1] [--lease 5] [--pg ADMIN_URL]

The book is realistic entries (bench/books.py), each with its own source id, cut into units:
files for `flask --app api ledger import FILE --key K` (api/import_cli.py), batches for
POST /api/entries/batch and single entries for POST /api/entries, each with its own
Idempotency-Key. Rounds alternate between the importer and the service (gunicorn serving
`api:create_app()`, 2 sync workers, as bench/http.py starts it), and each round SIGKILLs it:

- at a random delay after the start of the import or of the requests;
- after the importer's progress bar has started ("progress");
- inside the write transaction ("transaction"): on the k-th poll (k at random, 1-150, one
  poll per 0.5 ms) that sees the books' write lock held (SQLite's WAL write lock, or
  PostgreSQL's EXCLUSIVE lock on journal_entries).

The service is killed whole (master and workers: a crash of the machine) or only its workers
(the master restarts them). After every kill: SQLite `PRAGMA integrity_check` is ok;
`flask --app api ledger verify` exits 0; no posting lacks its header, every entry has two
postings or more and balances per currency; every unit acknowledged (the CLI exited 0, HTTP
201) is present whole; no unit is present in part or twice; every entry is one of the book's.
Killed and unacknowledged units are retried with the same key in later rounds. Every
`--segment` kills (and at the end), every unit is re-run with its key, without kills: all must
succeed, and the books must then hold the expected book exactly (each entry once, entry count
and every account's debit and credit totals equal); then a fresh database is started.

The importer and `flask` commands run as processes forked from this one, which has imported
the app already (`flask.cli.main` in the child: the code of the `flask` script, without its
5 s of imports); gunicorn likewise. In the service the Idempotency-Key's lease (60 s in the
product: a claim whose process died is taken over after it) is set to `--lease` seconds, so
that retries after a kill need not wait a minute; every process that held a claim is dead by
then. Prints kills survived, acknowledged entries checked, replays, failures; exits 1 on any.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import itertools
import json
import os
import random
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask.cli  # noqa: F401 - imported once here, for the forked children
import gunicorn.app.base  # noqa: F401
import psycopg
from sqlalchemy import make_url

import api  # noqa: F401 - imported once here, so that forked children start at once
from bench.books import realistic_entries
from bench.databases import PG_ADMIN, admin_token, pg_dsn, scratch
from ledger.core.entries import JournalEntry
from ledger.db.session import make_engine

PG_DATABASE = "huzhu_bench_crash"
SECRET_KEY = "bench.crash: a fixed key for the harness, never for production"
KILL_POINTS = ("random", "progress", "transaction")
Sabotage = Callable[[], None]


# --- processes forked from this one -----------------------------------------------------------
@dataclass
class Child:
    """A forked process, leader of its own process group."""

    pid: int
    log: Path
    started: float = field(default_factory=time.monotonic)
    code: int | None = None
    killed: bool = False

    def poll(self) -> int | None:
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def wait(self, timeout: float = 600.0) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                break
            time.sleep(0.005)
        return self.code if self.code is not None else -9

    def kill(self) -> bool:
        """SIGKILL the whole group; True if the process was still running."""
        if self.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.killed = True
        _, status = os.waitpid(self.pid, 0)
        self.code = os.waitstatus_to_exitcode(status)
        return True

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def spawn(target: Callable[[], object], log: Path, env: dict[str, str],
          sabotage: Sabotage | None = None) -> Child:
    """Run `target` in a forked child (its output to `log`); its exit code is the child's."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return Child(pid, log)
    code = 1
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        os.environ.update(env)
        if sabotage is not None:
            sabotage()
        target()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # the child reports anything and exits
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def flask_command(*args: str) -> Callable[[], None]:
    """`flask --app api ARGS...`: the `flask` script's own entry point."""

    def run() -> None:
        from flask.cli import main

        sys.argv = ["flask", "--app", "api", *args]
        main()

    return run


def serve(port: int, ready: Path, lease: float) -> Callable[[], None]:
    """gunicorn serving `api:create_app()` with 2 sync workers, each leaving ready/<pid>."""

    def run() -> None:
        from gunicorn.app.base import BaseApplication

        from ledger.db import idempotency

        idempotency.LEASE = timedelta(seconds=lease)

        def post_worker_init(worker: Any) -> None:
            (ready / str(worker.pid)).touch()

        class Service(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in {
                    "bind": f"127.0.0.1:{port}", "workers": 2, "worker_class": "sync",
                    "timeout": 120, "graceful_timeout": 1, "loglevel": "warning",
                    "control_socket_disable": True, "post_worker_init": post_worker_init,
                }.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from api import create_app

                return create_app()

        Service().run()

    return run


# --- the book ---------------------------------------------------------------------------------
def _fen(text: str) -> int:
    return int(Decimal(text) * 100)


Signature = tuple[str, str, str, tuple[tuple[str, int, int], ...]]


def signature(entry: dict[str, Any]) -> Signature:
    """What must come back from the books for an entry: entity, date, memo, postings."""
    return (entry["entity"], entry["effective_date"], entry["memo"], tuple(sorted(
        (p["account"], _fen(p.get("debit", "0")), _fen(p.get("credit", "0")))
        for p in entry["postings"])))


def as_json(entry: JournalEntry, source_id: str) -> dict[str, Any]:
    """The entry as a line of an import file and as a request's body, with its source id."""
    return {"entity": entry.entity, "effective_date": entry.effective_date.isoformat(),
            "memo": entry.memo, "source": {"kind": "import", "id": source_id},
            "postings": [{"account": p.account, p.side.value: str(p.amount.amount)}
                         for p in entry.postings]}


@dataclass
class Unit:
    """Entries written together under one key: an import file, a batch or one entry."""

    via: str  # "cli", "batch" or "entry"
    key: str
    entries: list[dict[str, Any]]
    file: Path | None = None
    acked: bool = False
    not_before: float = 0.0  # a killed claim's lease runs until then
    attempts: int = 0


class Book:
    """The expected book of a segment: its units and every entry by source id."""

    def __init__(self, seed: int, tmp: Path) -> None:
        self.tmp = tmp
        self.prefix = f"s{seed}"
        self._entries = itertools.chain.from_iterable(
            realistic_entries(20_000, seed=s, importable=True) for s in itertools.count(seed))
        self._n = 0
        self.units: list[Unit] = []
        self.unit_of: dict[str, Unit] = {}
        self.expected: dict[str, Signature] = {}

    def new(self, via: str, size: int) -> Unit:
        entries = []
        for entry in itertools.islice(self._entries, size):
            self._n += 1
            source = f"{self.prefix}-{self._n}"
            entries.append(as_json(entry, source))
        unit = Unit(via, f"crash-{self.prefix}-{len(self.units) + 1}-{uuid.uuid4().hex[:8]}",
                    entries)
        if via == "cli":
            unit.file = self.tmp / f"{unit.key}.jsonl"
            unit.file.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                                         for e in entries), encoding="utf-8")
        for e in entries:
            self.unit_of[e["source"]["id"]] = unit
            self.expected[e["source"]["id"]] = signature(e)
        self.units.append(unit)
        return unit

    def pending(self, *vias: str) -> Unit | None:
        now = time.monotonic()
        return next((u for u in self.units if u.via in vias and not u.acked
                     and u.not_before <= now), None)

    @property
    def acked_entries(self) -> int:
        return sum(len(u.entries) for u in self.units if u.acked)


class LockProbe:
    """Is a writer inside its transaction? SQLite: another process holds the WAL write lock
    (byte 120 of the -shm file, asked with F_GETLK, never taken); PostgreSQL: the EXCLUSIVE
    lock on journal_entries is granted. Open it after forking, close it before."""

    _FLOCK = "hhqqi4x"  # struct flock on Linux x86-64
    _WAL_WRITE_LOCK = 120

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.shm = f"{parsed.database}-shm"
        else:
            self.conn = psycopg.connect(pg_dsn(url), autocommit=True)
            self.database = parsed.database

    def held(self) -> bool:
        if self.sqlite:
            try:
                fd = os.open(self.shm, os.O_RDONLY)
            except FileNotFoundError:
                return False
            try:
                asked = struct.pack(self._FLOCK, fcntl.F_WRLCK, os.SEEK_SET,
                                    self._WAL_WRITE_LOCK, 1, 0)
                return struct.unpack(self._FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, asked)
                                     )[0] != fcntl.F_UNLCK
            finally:
                os.close(fd)
        return self.conn.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_database d ON d.oid = l.database WHERE c.relname = 'journal_entries' "
            "AND l.mode = 'ExclusiveLock' AND l.granted AND d.datname = %s",
            (self.database,)).fetchone() is not None

    def close(self) -> None:
        if not self.sqlite:
            self.conn.close()


# --- the checker ------------------------------------------------------------------------------
_ROWS = ("SELECT e.seq, e.source_id, e.entity, e.effective_date, e.memo, a.code, p.debit, "
         "p.credit FROM journal_entries e JOIN postings p ON p.entry_seq = e.seq "
         "JOIN accounts a ON a.id = p.account_id ORDER BY e.seq, p.line")
_ORPHANS = ("SELECT count(*) FROM postings p WHERE NOT EXISTS "
            "(SELECT 1 FROM journal_entries e WHERE e.seq = p.entry_seq)")
_UNBALANCED = ("SELECT entry_seq FROM postings GROUP BY entry_seq, currency "
               "HAVING sum(debit) <> sum(credit)")
_SHORT = ("SELECT e.seq FROM journal_entries e WHERE "
          "(SELECT count(*) FROM postings p WHERE p.entry_seq = e.seq) < 2")


def stored(url: str) -> tuple[list[str], dict[str, list[Signature]], int]:
    """(failures of the storage itself, every entry by source id, the number of entries)."""
    failures: list[str] = []
    entries: dict[int, tuple[str, str, str, str, list[tuple[str, int, int]]]] = {}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                if result != ["ok"]:
                    failures.append(f"integrity_check: {'; '.join(result[:5])}")
            orphans = conn.exec_driver_sql(_ORPHANS).scalar()
            if orphans:
                failures.append(f"{orphans} postings without their entry")
            for sql, what in ((_UNBALANCED, "unbalanced"), (_SHORT, "with fewer than 2 postings")):
                bad = [r[0] for r in conn.exec_driver_sql(sql)]
                if bad:
                    failures.append(f"entries {what}: {bad[:10]}")
            for seq, source, entity, day, memo, code, debit, credit in conn.exec_driver_sql(_ROWS):
                entries.setdefault(seq, (source, entity, str(day), memo, []))[4].append(
                    (code, int(debit), int(credit)))
    except Exception as error:  # books that cannot be read are a finding
        failures.append(f"the books cannot be read: {type(error).__name__}: {error}")
    finally:
        engine.dispose()
    found: dict[str, list[Signature]] = {}
    for source, entity, day, memo, postings in entries.values():
        found.setdefault(source, []).append((entity, day, memo, tuple(sorted(postings))))
    return failures, found, len(entries)


def check_book(book: Book, found: dict[str, list[Signature]], *, exact: bool) -> list[str]:
    """Acknowledged units whole, none in part or twice, nothing foreign; `exact`: every
    unit present once and the totals of every account as expected."""
    failures: list[str] = []
    for source, copies in found.items():
        if source not in book.expected:
            failures.append(f"entry with source {source!r} is not in the book")
        elif len(copies) > 1:
            failures.append(f"entry {source} is in the books {len(copies)} times")
        elif copies[0] != book.expected[source]:
            failures.append(f"entry {source} differs: {copies[0]} != {book.expected[source]}")
    for unit in book.units:
        present = sum(e["source"]["id"] in found for e in unit.entries)
        if 0 < present < len(unit.entries):
            failures.append(f"{unit.via} {unit.key}: {present} of {len(unit.entries)} entries "
                            f"present (a partial write)")
        elif present == 0 and (unit.acked or exact):
            failures.append(f"{unit.via} {unit.key}: {'acknowledged' if unit.acked else 're-run'}"
                            f" but none of its {len(unit.entries)} entries is in the books")
    if exact:
        def totals(signatures: Iterator[Signature]) -> Counter[tuple[str, str, str]]:
            sums: Counter[tuple[str, str, str]] = Counter()
            for entity, _, _, postings in signatures:
                for account, debit, credit in postings:
                    sums[entity, account, "debit"] += debit
                    sums[entity, account, "credit"] += credit
            return sums

        want = totals(iter(book.expected.values()))
        got = totals(s for copies in found.values() for s in copies)
        if want != got:
            failures.append(f"account totals differ from the expected book: "
                            f"{dict((want - got) + (got - want))}")
        count = sum(len(c) for c in found.values())
        if count != len(book.expected):
            failures.append(f"{count} entries in the books, the book has {len(book.expected)}")
    return failures


# --- the harness ------------------------------------------------------------------------------
@dataclass
class Figures:
    kills: Counter[str] = field(default_factory=Counter)
    survived: int = 0
    acked_checked: int = 0  # acknowledged entries found whole, summed over the checks
    replayed: int = 0  # units answered from their key on a re-run (nothing written)
    segments: int = 0
    whole_service: int = 0  # HTTP kills of master and workers (the others: the workers)
    units: int = 0  # files, batches and single entries of the books
    entries: int = 0  # entries of the expected books, all segments
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.kills.values())


@dataclass
class Options:
    cli_sizes: tuple[int, int] = (300, 3000)
    batch_sizes: tuple[int, int] = (50, 400)
    targets: tuple[str, ...] = ("cli", "http")
    points: tuple[str, ...] = KILL_POINTS
    whole_service: float = 0.3  # of HTTP kills, the share that kill the master too
    lease: float = 5.0
    clients: int = 2
    progress: str = "import"  # "progress": the importer's output once its bar has started
    held_polls: int = 150  # "transaction": kill within the first n polls that see the lock
    verify_every: int = 1  # run `flask ledger verify` after every n-th kill (and at the end)


class Harness:
    """Kills and checks on one database at `url` (migrated, may be empty) for one book."""

    def __init__(self, url: str, work: Path, *, seed: int = 1, options: Options | None = None,
                 sabotage: Sabotage | None = None, say: Callable[[str], None] = print) -> None:
        self.url, self.work, self.sabotage, self.say = url, work, sabotage, say
        self.options = options or Options()
        self.rng = random.Random(seed)
        self.book = Book(seed, work)
        self.figures = Figures()
        self.env = {"HUZHU_DATABASE_URL": url, "HUZHU_SECRET_KEY": SECRET_KEY}
        self.token = admin_token(url, "bench.crash")
        self.server: Child | None = None
        self.port = 0
        self.ready = work / "ready"
        self.spans = {"cli": 1.0, "http": 0.5}
        self._logs = itertools.count(1)

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_service()

    # the importer
    def _import(self, unit: Unit) -> Child:
        assert unit.file is not None
        unit.attempts += 1
        return spawn(flask_command("ledger", "import", str(unit.file), "--key", unit.key),
                     self.work / f"child-{next(self._logs) % 50}.log", self.env, self.sabotage)

    def _imported(self, unit: Unit, child: Child) -> None:
        out = child.output()
        if child.code == 0 and ("imported" in out):
            unit.acked = True
            self.figures.replayed += "already imported" in out
        else:
            self.fail(f"import of {unit.key} exited {child.code}: {out[-800:]}")

    def cli_round(self, point: str) -> bool:
        low, high = self.options.cli_sizes
        unit = self.book.pending("cli") or self.book.new("cli", self.rng.randint(low, high))
        child = self._import(unit)
        hit = self._kill_when(child, point, lambda: self.options.progress in child.output())
        if not hit:
            child.wait()
            self.spans["cli"] = 0.8 * self.spans["cli"] + 0.2 * (time.monotonic() - child.started)
            self._imported(unit, child)
        return hit

    def _kill_when(self, child: Child, point: str, started: Callable[[], bool]) -> bool:
        """SIGKILL `child` at the kill point; False if it ended on its own first."""
        span = self.spans["cli"]
        deadline = time.monotonic() + 3 * span + 5
        if point == "random":
            at = time.monotonic() + self.rng.uniform(0, 1.2 * span)
            while time.monotonic() < at:
                if child.poll() is not None:
                    return False
                time.sleep(0.002)
            return child.kill()
        if point == "progress":
            while not started():
                if child.poll() is not None or time.monotonic() > deadline:
                    return False
                time.sleep(0.002)
            time.sleep(self.rng.uniform(0, 0.3 * span))
            return child.kill()
        return self._kill_in_transaction(child.kill, lambda: child.poll() is None, deadline)

    def _kill_in_transaction(self, kill: Callable[[], bool], alive: Callable[[], bool],
                             deadline: float) -> bool:
        """Kill on the k-th time (k at random) the write lock is seen held: kill points spread
        over the transactions' length, however long they are."""
        probe = LockProbe(self.url)
        seen, k = 0, self.rng.randint(1, self.options.held_polls)
        try:
            while alive() and time.monotonic() < deadline:
                seen += probe.held()
                if seen >= k:
                    return kill()
                time.sleep(0.0005)
            return False
        finally:
            probe.close()

    # the service
    def _start_service(self) -> None:
        self.port = _free_port()
        self.ready.mkdir(exist_ok=True)
        for f in self.ready.iterdir():
            f.unlink()
        self.server = spawn(serve(self.port, self.ready, self.options.lease),
                            self.work / "gunicorn.log", self.env, self.sabotage)
        self._wait_ready()

    def _workers(self) -> list[int]:
        assert self.server is not None
        path = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def _wait_ready(self, timeout: float = 120.0) -> None:
        assert self.server is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.server.output()[-2000:]}")
            workers = self._workers()
            if len(workers) == 2 and all((self.ready / str(p)).exists() for p in workers):
                return
            time.sleep(0.02)
        raise RuntimeError(f"gunicorn not ready: {self.server.output()[-2000:]}")

    def _ensure_service(self) -> None:
        if self.server is None or self.server.poll() is not None:
            self._start_service()
        else:
            self._wait_ready()

    def stop_service(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server = None

    def _post(self, unit: Unit) -> None:
        """One attempt at `unit` over HTTP; acknowledged on 201."""
        path = "/api/entries/batch" if unit.via == "batch" else "/api/entries"
        body = {"entries": unit.entries} if unit.via == "batch" else unit.entries[0]
        unit.attempts += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("POST", path, body=json.dumps(body, ensure_ascii=False).encode(),
                         headers={"Authorization": f"Bearer {self.token}",
                                  "Content-Type": "application/json",
                                  "Idempotency-Key": unit.key})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):  # killed under it: retried later, once
            unit.not_before = time.monotonic() + self.options.lease + 0.5  # its claim expired
            return
        finally:
            conn.close()
        if response.status == 201:
            unit.acked = True
            self.figures.replayed += response.getheader("Idempotent-Replayed") == "true"
        elif response.status == 409 and "Idempotency-Key" in text:
            unit.not_before = time.monotonic() + self.options.lease + 0.5
        else:
            self.fail(f"{path} with key {unit.key}: {response.status} {text[:500]}")

    def _next_http(self) -> Unit:
        unit = self.book.pending("batch", "entry")
        if unit is None:
            if self.rng.random() < 0.5:
                unit = self.book.new("batch", self.rng.randint(*self.options.batch_sizes))
            else:
                unit = self.book.new("entry", 1)
        unit.not_before = float("inf")  # taken by one client
        return unit

    def http_round(self, point: str) -> bool:
        self._ensure_service()
        assert self.server is not None
        stop = threading.Event()
        lock = threading.Lock()

        def client() -> None:
            while not stop.is_set():
                with lock:
                    unit = self._next_http()
                self._post(unit)
                with lock:
                    if unit.not_before == float("inf"):
                        unit.not_before = 0.0

        threads = [threading.Thread(target=client) for _ in range(self.options.clients)]
        for t in threads:
            t.start()
        whole = self.rng.random() < self.options.whole_service
        server = self.server

        def kill() -> bool:
            stop.set()
            if whole:
                self.server = None
                return server.kill()
            workers = self._workers()
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            return bool(workers)

        if point == "transaction":
            hit = self._kill_in_transaction(kill, lambda: True, time.monotonic() + 30)
        else:
            time.sleep(self.rng.uniform(0.05, 2 * self.spans["http"]))
            hit = kill()
        stop.set()
        for t in threads:
            t.join()
        self.figures.whole_service += hit and whole
        return hit

    def write(self, via: str, size: int = 50) -> Unit:
        """A new unit written without a kill (acknowledged unless something failed)."""
        unit = self.book.new(via, 1 if via == "entry" else size)
        if via == "cli":
            child = self._import(unit)
            child.wait()
            self._imported(unit, child)
        else:
            self._ensure_service()
            self._post(unit)
        return unit

    # rounds, checks, re-runs
    def fail(self, message: str) -> None:
        self.figures.failures.append(message)
        self.say(f"  FAILURE: {message}")

    def run(self, kills: int, *, stop_on_failure: bool = False) -> Figures:
        """SIGKILL `kills` times, checking after each; then re-run everything and check."""
        rounds = 0
        while self.figures.total < kills:
            rounds += 1
            if rounds > 10 * kills + 20:
                self.fail(f"only {self.figures.total} of {kills} kills hit a running process")
                break
            target = self.options.targets[self.figures.total % len(self.options.targets)]
            points = [p for p in self.options.points if target == "cli" or p != "progress"]
            point = self.rng.choice(points)
            began = time.monotonic()
            hit = self.cli_round(point) if target == "cli" else self.http_round(point)
            if os.environ.get("CRASH_DEBUG"):
                self.say(f"  {target}/{point}: {'kill' if hit else 'no kill'} "
                         f"{time.monotonic() - began:.1f} s")
            if not hit:
                continue
            self.figures.kills[f"{target}/{point}"] += 1
            before = len(self.figures.failures)
            self.check(verify=self.figures.total % self.options.verify_every == 0)
            self.figures.survived += len(self.figures.failures) == before
            if stop_on_failure and self.figures.failures:
                break
        self.rerun()
        self.stop_service()
        return self.figures

    def check(self, *, exact: bool = False, verify: bool = True) -> None:
        failures, found, _ = stored(self.url)
        failures += check_book(self.book, found, exact=exact)
        if verify:
            child = spawn(flask_command("ledger", "verify"), self.work / "verify.log", self.env)
            if child.wait() != 0:
                failures.append(f"ledger verify exited {child.code}: {child.output()[-800:]}")
        for message in failures:
            self.fail(message)
        self.figures.acked_checked += self.book.acked_entries

    def rerun(self) -> None:
        """Every unit again with its key, no kills; then the books hold the book exactly."""
        if any(u.via != "cli" for u in self.book.units):
            self._ensure_service()
            wait = max((u.not_before for u in self.book.units), default=0) - time.monotonic()
            time.sleep(max(0.0, wait))
        for unit in self.book.units:
            if unit.via == "cli":
                child = self._import(unit)
                child.wait()
                self._imported(unit, child)
            else:
                unit.acked = False
                self._post(unit)
                if not unit.acked:
                    self.fail(f"re-run of {unit.via} {unit.key} was not acknowledged")
        self.stop_service()
        self.check(exact=True)
        self.figures.segments += 1
        self.figures.units += len(self.book.units)
        self.figures.entries += len(self.book.expected)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(kind: str, figures: Figures, seconds: float, say: Callable[[str], None] = print
           ) -> None:
    say(f"{kind}: {figures.total} kills, {figures.survived} survived "
        f"({', '.join(f'{k} {v}' for k, v in sorted(figures.kills.items()))})")
    http = sum(v for k, v in figures.kills.items() if k.startswith("http"))
    say(f"  service kills: {figures.whole_service} of master and workers, "
        f"{http - figures.whole_service} of the workers only")
    say(f"  acknowledged entries checked {figures.acked_checked:,} (summed over the checks); "
        f"{figures.segments} books re-run in full: {figures.units:,} units, "
        f"{figures.entries:,} entries, "
        f"{figures.replayed:,} units answered from their key")
    say(f"  failures {len(figures.failures)}; {seconds:.0f} s")
    for message in figures.failures[:10]:
        say(f"    {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--segment", type=int, default=25,
                        help="kills per database before the full re-run and a fresh one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lease", type=float, default=5.0,
                        help="Idempotency-Key lease in the service, seconds (product: 60)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL")
    args = parser.parse_args()
    started = time.monotonic()
    total = Figures()
    with tempfile.TemporaryDirectory(prefix="huzhu-crash-") as tmp:
        segment = 0
        while total.total < args.kills:
            segment += 1
            kills = min(args.segment, args.kills - total.total)
            work = Path(tmp) / f"segment-{segment}"
            work.mkdir()
            with scratch(args.database, PG_DATABASE, pg_admin=args.pg) as url, Harness(
                    url, work, seed=args.seed * 1000 + segment,
                    options=Options(lease=args.lease)) as harness:
                figures = harness.run(kills)
            total.kills.update(figures.kills)
            for name in ("survived", "acked_checked", "replayed", "segments", "entries",
                         "whole_service", "units"):
                setattr(total, name, getattr(total, name) + getattr(figures, name))
            total.failures += figures.failures
            print(f"segment {segment}: {figures.total} kills, {figures.entries:,} entries, "
                  f"failures {len(figures.failures)} ({time.monotonic() - started:.0f} s)",
                  flush=True)
    report(args.database, total, time.monotonic() - started)
    sys.exit(1 if total.failures else 0)


if __name__ == "__main__":
    main()
