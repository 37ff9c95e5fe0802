"""POST /api/entries over real HTTP: gunicorn in front, many clients at once, on SQLite and
PostgreSQL.

    python -m bench.http [--clients 16] [--seconds 30] [--db sqlite|postgresql|both]
                         [--workers N] [--worker-class sync|gthread] [--threads N]
                         [--warmup 3] [--pg ADMIN_URL]

For each database: a fresh one (SQLite: a file in a temporary directory; PostgreSQL: the
database `huzhu_bench_http`, dropped at the end), migrated like `flask --app api db upgrade`
(ledger.db.migrate.upgrade), an admin account and a personal access token made through the
use cases (ledger.staff.create_user / create_token, as `flask --app api users create` does),
then the app (`api:create_app()`) served by gunicorn on 127.0.0.1 on a free port with
HUZHU_DATABASE_URL and a fixed HUZHU_SECRET_KEY.

`--clients` threads, each with one persistent `http.client` connection (the lightest client
there is: no event loop, no third-party parsing), post single balanced deposits: Dr 1002 bank /
Cr 420101 operating share (30 %) / Cr 2209 payable to the foundation (70 %, and the odd fen)
in the `fund` entity, amounts as decimal strings, `Authorization: Bearer <token>` and a new
`Idempotency-Key` per request. After `--warmup` seconds all clients meet at a barrier, then
post for `--seconds`. The client threads run on the same 2 CPUs as gunicorn and the database
server (the figures include that; the CPU line says how much each took); one Python process
of threads costs a few per cent of a CPU at these rates, so the client is not the bottleneck.

Printed per database: requests completed, errors (anything but 201; the first bodies are
shown), entries/s, latency p50 / p99 / max, the targets of issue 9 beside them (PostgreSQL
>= 1,000 entries/s, SQLite >= 600 entries/s, p99 < 25 ms), where the CPU went, and the books
afterwards: entries == successful requests (measured + warm-up), and both hash chains verify.
Exits 1 if a request failed or the books disagree; a missed target is printed, not an error.

Server: sync workers, as many as CPUs by default (2 here). A request is about 8 ms (SQLite)
or 11 ms (PostgreSQL) of Python CPU in the worker, and every write holds the books' single
write lock (BEGIN IMMEDIATE / LOCK TABLE journal_entries IN EXCLUSIVE MODE) until it commits,
so entries/s is about 1 / (time the lock is held per request); more workers than CPUs only
preempt the lock's holder and lengthen that time. Measured on 2 CPUs, 10 s runs, entries/s
and p99 (runs vary by about 20 %):

    sync, 2 workers              SQLite  96-118 /s, p99 221-243 ms   PostgreSQL  93-138 /s
    sync, 5 workers              SQLite 100-141 /s, p99 513-651 ms   PostgreSQL  90-103 /s
    gthread, 1 x 4 threads       SQLite     138 /s, p99 321 ms       PostgreSQL      66 /s
    gthread, 2 x 4 threads       SQLite     127 /s, p99 818 ms       PostgreSQL      59 /s

Threads share one GIL with the lock's holder, which holds the lock longer: gthread was never
faster on PostgreSQL and had a worse p99 on SQLite. Sync workers close the connection after
each response and the client reconnects (about 0.1 ms on loopback). `make serve` runs
2 x CPUs + 1 workers instead: reads and PDFs do not queue on the write lock.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench.databases import PG_ADMIN, admin_token, scratch
from ledger.books import today
from ledger.db import migrate
from ledger.db.chain import verify, verify_audit
from ledger.db.models import EntryRow
from ledger.db.session import UnitOfWork, make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "huzhu_bench_http"
SECRET_KEY = "bench.http: a fixed key for the benchmark, never for production"
TARGET_RATE = {"sqlite": 600, "postgresql": 1_000}  # entries/s (issue 9)
TARGET_P99_MS = 25.0
ERROR_SAMPLES = 5
#: Member enterprises and the deposits they pay (yuan): realistic amounts, some with odd fen.
MEMBERS = ("嘉兴永耀纺织", "宁波镇海明窗门窗", "浙江蛟川五金", "慈溪海通电器", "余姚舜宇光学",
           "北仑港城物流")
DEPOSITS_FEN = (35_000_000, 17_500_000, 7_000_000, 3_500_000, 1_234_567, 999_999)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


def default_workers() -> int:
    return cpu_count()


def prepare(url: str) -> str:
    """Migrate the database, create an admin and return a personal access token of theirs."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return admin_token(url, "bench.http")


# --- the server --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerSettings:
    workers: int
    worker_class: str = "sync"
    threads: int = 1

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn {self.workers} gthread workers x {self.threads} threads"
        return f"gunicorn {self.workers} {self.worker_class} workers"


def machine_busy(seconds: float = 2.0) -> float:
    """The fraction of all CPUs busy over `seconds` (before a run: others' load skews it)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values[:8]), values[3] + values[4]

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


#: Gunicorn configuration file of the benchmark: each worker, once it has loaded the app, leaves
#: a file named by its pid, so that the load starts only when every worker is ready (workers
#: import the app one after another's heels on 2 CPUs, several seconds; a warm-up that began
#: with the first one would share the CPUs with the others' imports). No control socket:
#: gunicorn 27 puts one at ~/.gunicorn/gunicorn.ctl, shared with any other gunicorn of the
#: user, such as `make serve` (older versions ignore the setting).
_READY_HOOK = """
from pathlib import Path

control_socket_disable = True

def post_worker_init(worker):
    Path({ready!r}, str(worker.pid)).touch()
"""


@contextlib.contextmanager
def gunicorn(url: str, settings: ServerSettings, work_dir: Path) -> Iterator[Server]:
    """`api:create_app()` under gunicorn on 127.0.0.1 with the given database, once every
    worker has loaded the app; stopped after (SIGTERM: a graceful shutdown)."""
    port = free_port()
    ready = work_dir / f"ready-{port}"
    ready.mkdir()
    config = work_dir / f"gunicorn-{port}.conf.py"
    config.write_text(_READY_HOOK.format(ready=str(ready)))
    env = {**os.environ, "HUZHU_DATABASE_URL": url, "HUZHU_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "gunicorn", "--config", str(config),
               "--bind", f"127.0.0.1:{port}", "--workers", str(settings.workers),
               "--worker-class", settings.worker_class, "--keep-alive", "30",
               "--graceful-timeout", "10", "--log-level", "warning"]
    if settings.worker_class == "gthread":
        command += ["--threads", str(settings.threads)]
    log = work_dir / f"gunicorn-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([*command, "api:create_app()"], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        _wait_until_ready(server, ready, settings.workers)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(server: Server, ready: Path, workers: int, timeout: float = 120.0
                      ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n"
                               f"{server.log_tail()}")
        if len(list(ready.iterdir())) >= workers:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn's {workers} workers were not ready within {timeout:.0f} s:\n"
                       f"{server.log_tail()}")


# --- the clients -------------------------------------------------------------------------------
def deposit(client: int, n: int, day: str) -> bytes:
    """One member's mutual-aid deposit split 30/70 to the fen (odd fen to the foundation),
    as the JSON body of POST /api/entries; amounts are decimal strings."""
    member = MEMBERS[(client + n) % len(MEMBERS)]
    total = DEPOSITS_FEN[(client * 7 + n) % len(DEPOSITS_FEN)]
    operating = total * 30 // 100
    return json.dumps({
        "entity": "fund", "effective_date": day,
        "memo": f"{member} 互助资金存入 / mutual-aid deposit",
        "source": {"kind": "import", "id": f"bench-{client}-{n}"},
        "postings": [
            {"account": "1002", "debit": _yuan(total)},
            {"account": "420101", "credit": _yuan(operating), "memo": "30% 运营"},
            {"account": "2209", "credit": _yuan(total - operating), "memo": "70% 应付基金会"},
        ],
    }, ensure_ascii=False).encode()


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass
class ClientLog:
    warmup_ok: int = 0
    warmup_errors: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, measured 201s
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    last_done: float = 0.0


@dataclass
class Load:
    clients: int
    warmup: float
    seconds: float
    elapsed: float  # from the barrier to the last measured response
    logs: list[ClientLog]
    cpu: dict[str, float]

    @property
    def ok(self) -> int:
        return sum(len(log.latencies) for log in self.logs)

    @property
    def errors(self) -> int:
        return sum(log.errors + log.warmup_errors for log in self.logs)

    @property
    def warmup_ok(self) -> int:
        return sum(log.warmup_ok for log in self.logs)

    @property
    def error_samples(self) -> list[str]:
        return [s for log in self.logs for s in log.error_samples][:ERROR_SAMPLES]

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def latency_ms(self, q: float) -> float:
        values = sorted(x for log in self.logs for x in log.latencies)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))] * 1000


class _CpuClock:
    """CPU time of the machine, of this process (the clients), of the gunicorn master and
    workers, and of every PostgreSQL process (the server is shared: other databases count)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.tick = os.sysconf("SC_CLK_TCK")

    def _process(self, pid: int | str) -> float:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(stat[11]) + int(stat[12])) / self.tick

    def _postgres(self) -> float:
        total = 0.0
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                with contextlib.suppress(OSError):
                    if (proc / "comm").read_text().strip() == "postgres":
                        total += self._process(proc.name)
        return total

    def sample(self) -> dict[str, float]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]
        sample = {
            "busy": (sum(values[:8]) - idle) / self.tick,
            "clients": time.process_time(),
            "gunicorn": sum(self._process(pid)
                            for pid in [self.server.process.pid, *self.server.worker_pids()]),
            "postgres": self._postgres(),
        }
        sample["wall"] = time.perf_counter()  # last: the measurement starts after the scan
        return sample


def drive(server: Server, token: str, *, clients: int, seconds: float, warmup: float) -> Load:
    """`clients` threads post entries for `warmup` seconds, meet, then for `seconds`."""
    day = today().isoformat()
    logs = [ClientLog() for _ in range(clients)]
    clock = _CpuClock(server)
    marks: dict[str, dict[str, float]] = {}

    def start_measuring() -> None:
        marks["start"] = clock.sample()

    barrier = threading.Barrier(clients, action=start_measuring)

    def client(index: int) -> None:
        log = logs[index]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        n = 0
        try:
            stop = time.perf_counter() + warmup
            while time.perf_counter() < stop:
                ok, _, _ = _post(conn, headers, deposit(index, n, day), log)
                n += 1
                log.warmup_ok += ok
                log.warmup_errors += not ok
            barrier.wait()
            stop = marks["start"]["wall"] + seconds
            while time.perf_counter() < stop:
                ok, started, done = _post(conn, headers, deposit(index, n, day), log)
                n += 1
                if ok:
                    log.latencies.append(done - started)
                else:
                    log.errors += 1
                log.last_done = done
        except BaseException:
            barrier.abort()  # the others stop waiting for this one
            raise
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}")
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    end = clock.sample()
    start = marks["start"]
    last = max((log.last_done for log in logs), default=start["wall"])
    capacity = (end["wall"] - start["wall"]) * cpu_count()
    cpu = {name: (end[name] - start[name]) / capacity for name in end if name != "wall"}
    cpu["other"] = max(0.0, cpu["busy"] - cpu["clients"] - cpu["gunicorn"] - cpu["postgres"])
    return Load(clients, warmup, seconds, max(0.0, last - start["wall"]), logs, cpu)


def _post(conn: http.client.HTTPConnection, headers: dict[str, str], body: bytes,
          log: ClientLog) -> tuple[bool, float, float]:
    started = time.perf_counter()
    try:
        conn.request("POST", "/api/entries", body=body,
                     headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        response = conn.getresponse()
        text = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        conn.close()
        status, text = 0, f"{type(error).__name__}: {error}".encode()
    done = time.perf_counter()
    if status == 201:
        return True, started, done
    if len(log.error_samples) < ERROR_SAMPLES:
        log.error_samples.append(f"{status} {text.decode(errors='replace')[:500]}")
    return False, started, done


# --- the books afterwards ----------------------------------------------------------------------
@dataclass(frozen=True)
class Books:
    entries: int
    chain_ok: bool
    chain: str
    audit_ok: bool
    audit: str


def check_books(url: str) -> Books:
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        entries = uow.read(lambda s: s.scalar(select(func.count()).select_from(EntryRow)))
        journal = uow.read(verify)
        audit = uow.read(verify_audit)
    finally:
        engine.dispose()
    return Books(
        int(entries or 0),
        journal.ok,
        f"{journal.checked:,} entries verified, head #{journal.head_seq}" if journal.ok
        else f"FAILED at entry #{journal.first_bad}: {journal.reason}",
        audit.ok,
        f"{audit.checked:,} audit records verified" if audit.ok
        else f"FAILED at audit record #{audit.first_bad}: {audit.reason}")


# --- one database, end to end ------------------------------------------------------------------
@dataclass
class Result:
    backend: str
    settings: ServerSettings
    load: Load
    books: Books
    server_log: str
    busy_before: float | None = None

    @property
    def books_agree(self) -> bool:
        return self.books.entries == self.load.ok + self.load.warmup_ok

    @property
    def sound(self) -> bool:
        return (self.load.errors == 0 and self.books_agree and self.books.chain_ok
                and self.books.audit_ok)


def run(backend: str, url: str, *, clients: int, seconds: float, warmup: float,
        settings: ServerSettings, idle_check: bool = False) -> Result:
    """Prepare the (empty) database at `url`, serve it with gunicorn, load it, check it.
    `idle_check`: first measure how busy the machine is without us (2 s)."""
    busy_before = machine_busy() if idle_check else None
    token = prepare(url)
    with tempfile.TemporaryDirectory(prefix="huzhu-bench-http-log-") as tmp:
        with gunicorn(url, settings, Path(tmp)) as server:
            load = drive(server, token, clients=clients, seconds=seconds, warmup=warmup)
        log = server.log_tail() if load.errors else ""
    return Result(backend, settings, load, check_books(url), log, busy_before)


def report(result: Result) -> None:
    load, books = result.load, result.books
    target = TARGET_RATE[result.backend]
    p50, p99, top = load.latency_ms(0.50), load.latency_ms(0.99), load.latency_ms(1.0)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"{result.backend}: {result.settings.describe()}, {load.clients} clients "
          f"(threads in the benchmark's process, same {cpu_count()} CPUs), "
          f"{load.seconds:g} s after {load.warmup:g} s of warm-up")
    if result.busy_before is not None:
        print(f"  before      the machine was {result.busy_before:.0%} busy without the benchmark"
              f"{'' if result.busy_before < 0.1 else ': OTHER LOAD, the figures are skewed'}")
    print(f"  requests    {load.ok:,} completed (201), errors {load.errors}")
    for sample in load.error_samples:
        print(f"    error: {sample}")
    print(f"  throughput  {load.rate:,.0f} entries/s"
          f"{'':12}target >= {target:,} entries/s: {verdict(load.rate >= target)}")
    print(f"  latency     p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {top:.1f} ms"
          f"{'':4}target p99 < {TARGET_P99_MS:g} ms: {verdict(p99 < TARGET_P99_MS)}")
    cpu = load.cpu
    print(f"  cpu         {cpu['busy']:.0%} of {cpu_count()} CPUs busy: "
          f"gunicorn {cpu['gunicorn']:.0%}, clients {cpu['clients']:.0%}, "
          f"postgres {cpu['postgres']:.0%}, kernel and other processes {cpu['other']:.0%}")
    expected = load.ok + load.warmup_ok
    print(f"  books       {books.entries:,} entries; expected {expected:,} "
          f"({load.ok:,} measured + {load.warmup_ok:,} warm-up): "
          f"{'agree' if result.books_agree else 'DISAGREE'}")
    print(f"  chain       {books.chain}; audit: {books.audit}")
    if result.server_log:
        print("  gunicorn's log (tail):")
        print("    " + result.server_log.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="gunicorn workers (default: the number of CPUs)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL")
    args = parser.parse_args()
    settings = ServerSettings(args.workers, args.worker_class,
                              args.threads if args.worker_class == "gthread" else 1)
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    sound = True
    for backend in backends:
        with scratch(backend, PG_DATABASE, pg_admin=args.pg, migrated=False) as url:
            result = run(backend, url, clients=args.clients, seconds=args.seconds,
                         warmup=args.warmup, settings=settings, idle_check=True)
        report(result)
        sound = sound and result.sound
    sys.exit(0 if sound else 1)


if __name__ == "__main__":
    main()
