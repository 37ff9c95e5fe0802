"""Issue 10, part 3: a bank-style workload over real HTTP, many clients at once, and the
checks that the books hold under it.

    python -m bench.concurrency [--database postgresql|sqlite] [--clients 32] [--seconds 180]
                                [--workers N] [--fault NAME] [--seed N]

A fresh database (PostgreSQL: `huzhu_bench_concurrency`, dropped after; SQLite: a file in a
temporary directory) gets, through the use cases: staff (an admin, two fund managers, a board
member, an auditor) with access tokens; a member enterprise that deposited 350,000.00 (cap
5,000,000.00 of bridging service, 105,000.00 of operating money); 2,000,000.00 of foundation
income; an open-call round whose budget takes only some of the applications voted through.
Then `api:create_app()` is served by gunicorn (`--workers` sync worker *processes*, each with
its own connections: on SQLite, several processes writing one file) and `--clients` threads
loop over, at random:

* transfers between cash (1001) and bank (1002) of either entity (`POST /api/entries`);
* operating expenses of the fund (capped by its operating money and its bank balance);
* bridging services: request, approve (the member's cap), activate with an advance, repay;
* resolutions committing grants against the round's budget; tranche payments (in order, each
  once; the final one after an acceptance evaluation);
* reads, each checked: both trial balances balance and their total of assets, liabilities and
  expenses stays constant; the foundation's available funds stay constant; the round never
  commits more than its budget; the member's outstanding services stay within the cap; the
  fund's operating money never goes negative.

After the run: every acknowledged write is in the books (each account's balance is its initial
balance plus the acknowledged movements: no lost write), no grant is paid beyond its amount,
both hash chains verify. Any 5xx, dropped connection or unexpected refusal is an error; the
refusals a cap gives (409 over-committed, insufficient-funds, over-cap, beyond-schedule, ...)
are expected and counted. Exits 1 unless everything held.

`--fault` starts the server with a deliberately broken variant (FAULTS), to show the checks
catch it: `no-writer-lock` (PostgreSQL: no LOCK TABLE; SQLite: deferred BEGIN), `no-retry`
(a transient database error is not retried), `no-busy-wait` (SQLite: a writer finding the
file locked fails at once), `no-spending-check` (expenses and advances unchecked),
`lose-writes` (writes answered as done, then rolled back).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench.databases import PG_ADMIN, scratch
from ledger.books import today

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "huzhu_bench_concurrency"
SECRET_KEY = "bench.concurrency: a fixed key for the benchmark, never for production"
PASSWORD = "bench concurrency 甲乙丙丁 password"
STAFF = {"admin": "admin", "fm1": "fund_manager", "fm2": "fund_manager",
         "board1": "board_member", "aud1": "auditor"}
DEPOSIT_FEN, INCOME_FEN = 35_000_000, 200_000_000
#: Refusals that are the caps and rules doing their job (problem type's last segment).
#: Racing clients also resolve an application twice or pay a tranche twice (already-decided,
#: application-state, beyond-schedule, grant-ended).
EXPECTED_REFUSALS = {"over-committed", "insufficient-funds", "over-cap", "beyond-schedule",
                     "evaluation-required", "already-decided", "application-state",
                     "grant-ended"}
ERROR_SAMPLES = 8
#: How often each client picks each operation.
WEIGHTS = {"transfer": 30, "read": 30, "expense": 8, "bridging": 10, "resolve": 10,
           "tranche": 12}


# --- faults: deliberately broken variants, patched into the server's processes ---------------
Active = Callable[[], bool]


def _no_writer_lock(active: Active) -> None:
    """PostgreSQL: writers skip LOCK TABLE; SQLite: writers BEGIN deferred, not IMMEDIATE."""
    from ledger.db import session

    locking, on_begin = session.UnitOfWork._begin_postgresql, session._sqlite_on_begin

    def begin_postgresql(s: Any, *, write: bool, lock_ledger: bool) -> None:
        locking(s, write=write, lock_ledger=lock_ledger and not active())

    def sqlite_on_begin(conn: Any) -> None:
        if active():
            conn.exec_driver_sql("BEGIN")  # writers race for the file mid-transaction
        else:
            on_begin(conn)

    session.UnitOfWork._begin_postgresql = staticmethod(begin_postgresql)  # type: ignore[method-assign]
    session._sqlite_on_begin = sqlite_on_begin


def _no_retry(active: Active) -> None:
    """A transient database error (busy, serialisation, deadlock) is not retried."""
    from ledger.db import session

    transient = session.is_transient
    session.is_transient = lambda error: not active() and transient(error)


def _no_busy_wait(active: Active) -> None:
    """SQLite: a writer that finds the file locked fails at once instead of queueing."""
    from ledger.db import session

    on_begin = session._sqlite_on_begin  # after _no_writer_lock's, if both

    def sqlite_on_begin(conn: Any) -> None:
        wait = 0 if active() else session.SQLITE_BUSY_TIMEOUT_MS
        conn.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
        on_begin(conn)

    session._sqlite_on_begin = sqlite_on_begin


def _no_spending_check(active: Active) -> None:
    """Expenses and advances are not checked against the fund's money."""
    from ledger import bridging, expenses

    check = expenses.refuse_overspending

    def refuse_overspending(*args: Any, **kwargs: Any) -> None:
        if not active():
            check(*args, **kwargs)

    bridging.refuse_overspending = refuse_overspending  # type: ignore[assignment]
    expenses.refuse_overspending = refuse_overspending


def _lose_writes(active: Active) -> None:
    """A write is answered as done, then rolled back: acknowledged but never in the books."""
    from ledger.db import session

    run = session.UnitOfWork._run

    class Undo(Exception):
        pass

    def lossy(self: Any, work: Callable[[Any], Any], *, write: bool, lock_ledger: bool) -> Any:
        if not (write and lock_ledger and active() and self._session is None):
            return run(self, work, write=write, lock_ledger=lock_ledger)
        done: list[Any] = []

        def undone(s: Any) -> Any:
            done.append(work(s))
            raise Undo

        try:
            return run(self, undone, write=write, lock_ledger=lock_ledger)
        except Undo:
            return done[0]

    session.UnitOfWork._run = lossy  # type: ignore[method-assign]


FAULTS: dict[str, Callable[[Active], None]] = {
    "no-writer-lock": _no_writer_lock,
    "no-retry": _no_retry,
    "no-busy-wait": _no_busy_wait,
    "no-spending-check": _no_spending_check,
    "lose-writes": _lose_writes,
}


def inject(faults: str, switch: str | None = None) -> None:
    """Install the named faults (comma-separated) in this process, before the app is built.
    Without `switch` they are always on; with it, each is on while the file `switch` names
    it (so one server can run a sound phase, then a broken one)."""
    for name in filter(None, faults.split(",")):
        if switch is None:
            FAULTS[name](lambda: True)
        else:
            FAULTS[name](lambda name=name: name in _switched_on(switch))


def _switched_on(switch: str) -> set[str]:
    try:
        return set(Path(switch).read_text().split(","))
    except FileNotFoundError:
        return set()


# --- the database and the books before the load ----------------------------------------------
@dataclass(frozen=True)
class Setup:
    tokens: dict[str, str]
    member_id: int
    round_id: int
    budget_fen: int
    applications: tuple[int, ...]
    grant_fen: int  # each application's amount, in two equal tranches
    cap_fen: int  # the member's bridging cap


def prepare(url: str, *, applications: int = 40, fit: int = 24, migrate_first: bool = True,
            deposit_fen: int = DEPOSIT_FEN) -> Setup:
    """Staff and tokens, a member with a deposit, foundation income and a round under review
    with `applications` voted through, of which `fit` fit its budget."""
    from moneyed import Money

    from ledger import applications as apps
    from ledger import bridging, foundation, grantees, mutual_aid, reviews, rounds, staff
    from ledger.core.credit_code import check_character
    from ledger.core.grants import (
        BudgetLine,
        Choice,
        Criterion,
        IncomeSource,
        Majority,
        Registration,
        Tranche,
    )
    from ledger.core.money import from_minor, to_minor
    from ledger.core.mutual_aid import PaymentMethod
    from ledger.core.staff import Actor
    from ledger.db import migrate
    from ledger.db.session import UnitOfWork, make_engine

    engine = make_engine(url)
    try:
        if migrate_first:
            migrate.upgrade(engine)
        uow, system = UnitOfWork(engine), Actor.system("bench.concurrency")
        users = {name: staff.create_user(uow, system, username=name, display_name=name.upper(),
                                         password=PASSWORD, roles=[role])
                 for name, role in STAFF.items()}
        tokens = {name: staff.create_token(uow, user.actor(), name, "bench.concurrency")[0]
                  for name, user in users.items()}
        fm = users["fm1"].actor()
        code = "91330400MA0000001"
        member = mutual_aid.register_member(
            uow, fm, name_zh="嘉兴永耀纺织有限公司", credit_code=code + check_character(code),
            legal_representative="沈永耀", contact_name="沈会计", contact_phone="0573-8300 1234",
            joined_on=date(2025, 11, 1))
        mutual_aid.record_deposit(uow, fm, member_id=member.id, amount=from_minor(deposit_fen),
                                  received_on=date(2025, 11, 3),
                                  method=PaymentMethod.BANK_TRANSFER, reference="DEP-1")
        foundation.record_income(uow, fm, source=IncomeSource.WELFARE_LOTTERY,
                                 donor="浙江省福利彩票发行中心", amount=from_minor(INCOME_FEN),
                                 received_on=date(2026, 1, 5), reference="INC-1")
        grant_fen = 2_000_000  # 20,000.00 each
        budget_fen = grant_fen * fit
        found = rounds.create_round(
            uow, fm, title="2026 公益创投", description="社区为老服务", eligibility="社会组织",
            budget=from_minor(budget_fen), opens_on=date(2026, 2, 1),
            closes_on=date(2026, 2, 28), quorum=1, majority=Majority.SIMPLE,
            criteria=[Criterion("需求 need", 100)], reviewers=["board1"])
        rounds.open_round(uow, fm, found.id)
        code = "51330400MJ0000001"
        grantee = grantees.register_grantee(
            uow, fm, name_zh="新塍镇社工服务中心", credit_code=code + check_character(code),
            registration=Registration.REGISTERED, contact_name="王社工",
            contact_phone="0573-8300 5678", bank_name="嘉兴银行", bank_account="6222 0000 0001")
        half: Money = from_minor(grant_fen // 2)
        submitted = [apps.submit_application(
            uow, fm, round_id=found.id, grantee_id=grantee.id, title=f"长者食堂 {n}",
            need="独居老人午餐无人照应", requested=from_minor(grant_fen),
            budget=[BudgetLine("人员与食材", from_minor(grant_fen))],
            tranches=[Tranche(1, date(2026, 4, 1), half), Tranche(2, date(2026, 7, 1), half)],
            submitted_on=date(2026, 2, 10)).id for n in range(applications)]
        rounds.start_review(uow, fm, found.id)
        board = users["board1"].actor()
        for application in submitted:
            reviews.declare(uow, board, application, conflicted=False, note="")
            reviews.vote(uow, board, application, Choice.FOR)
        cap_fen = to_minor(bridging.exposure(uow, member.id).cap)
        return Setup(tokens, member.id, found.id, budget_fen, tuple(submitted), grant_fen,
                     cap_fen)
    finally:
        engine.dispose()


# --- the server: gunicorn, several worker processes ------------------------------------------
_CONFIG = """
import sys
sys.path.insert(0, {root!r})
control_socket_disable = True
from pathlib import Path
from bench.concurrency import inject
inject({faults!r}, {switch!r})  # before the app is built (workers are forked from here)

def post_worker_init(worker):
    Path({ready!r}, str(worker.pid)).touch()
"""


@contextlib.contextmanager
def serve(url: str, *, workers: int, faults: str = "", switch: str | None = None,
          preload: bool = False) -> Iterator[int]:
    """`api:create_app()` under gunicorn on a free port once every worker is ready; the port.
    `faults`, `switch`: as for inject(). `preload`: the app is built once and the workers
    forked from it (quicker on few CPUs; `make serve` builds it in each worker)."""
    import socket
    import subprocess

    with tempfile.TemporaryDirectory(prefix="huzhu-concurrency-server-") as tmp:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        ready = Path(tmp, "ready")
        ready.mkdir()
        config = Path(tmp, "gunicorn.conf.py")
        config.write_text(_CONFIG.format(root=str(ROOT), faults=faults, switch=switch,
                                         ready=str(ready)))
        log = Path(tmp, "gunicorn.log")
        env = {**os.environ, "HUZHU_DATABASE_URL": url, "HUZHU_SECRET_KEY": SECRET_KEY}
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(config), "--bind",
                 f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
                 "--timeout", "120", "--log-level", "warning",
                 *(["--preload"] if preload else []), "api:create_app()"],
                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while len(list(ready.iterdir())) < workers:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.05)
            yield port
        finally:
            # The load is over and checked: stop the master and its workers at once (their
            # own process group), rather than wait out gunicorn's shutdown.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the clients -----------------------------------------------------------------------------
def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(amount: str) -> int:
    whole, _, part = amount.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((part + "00")[:2]))


@dataclass
class Tally:
    """What the clients saw, merged under a lock."""

    operations: Counter[str] = field(default_factory=Counter)  # kind -> acknowledged
    statuses: Counter[str] = field(default_factory=Counter)  # "409 over-cap", "503 ...", ...
    reads_checked: int = 0
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # samples of unexpected answers
    unexpected: int = 0
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)  # (entity, account) -> fen
    paid: Counter[int] = field(default_factory=Counter)  # grant -> fen paid, acknowledged
    latencies: list[float] = field(default_factory=list)  # seconds, every answered request

    def latency_ms(self, q: float) -> float:
        values = sorted(self.latencies)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0


class Workload:
    """The clients' shared state: what is pending and what was acknowledged."""

    def __init__(self, port: int, setup: Setup, weights: dict[str, int] | None = None,
                 previous: Workload | None = None) -> None:
        self.port, self.setup = port, setup
        self.weights = weights or WEIGHTS
        self.initial: dict[str, dict[str, int]] = {}  # entity -> account -> fen, at the start
        self.constants: dict[str, int] = {}  # what every read must see
        self.day = today().isoformat()
        self.lock = threading.Lock()
        self.tally = Tally()
        self.pending = list(previous.pending if previous else setup.applications)
        # grant -> next tranche number to try
        self.grants: dict[int, int] = dict(previous.grants) if previous else {}
        if previous:
            self.tally.paid.update(previous.tally.paid)

    # --- one HTTP call -----------------------------------------------------------------------
    def call(self, conn: http.client.HTTPConnection, who: str, method: str, path: str,
             body: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.setup.tokens[who]}"}
        data = None
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["Content-Type"] = "application/json"
            data = json.dumps(body or {}, ensure_ascii=False).encode()
        started = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw, status = response.read(), response.status
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            self._unexpected(f"0 {method} {path}: {type(error).__name__}: {error}", "0 no answer")
            return 0, None
        with self.lock:
            self.tally.latencies.append(time.perf_counter() - started)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        if status < 300:
            return status, payload
        kind = str((payload or {}).get("type", "")).rstrip("/").rsplit("/", 1)[-1] \
            if isinstance(payload, dict) else ""
        label = f"{status} {kind}".strip()
        if status == 409 and kind in EXPECTED_REFUSALS:
            with self.lock:
                self.tally.statuses[label] += 1
        else:
            self._unexpected(f"{label} {method} {path}: {str(payload)[:300]}", label)
        return status, payload

    def _unexpected(self, sample: str, label: str) -> None:
        with self.lock:
            self.tally.statuses[label] += 1
            self.tally.unexpected += 1
            if len(self.tally.errors) < ERROR_SAMPLES:
                self.tally.errors.append(sample)

    def acknowledged(self, kind: str, moves: dict[tuple[str, str], int]) -> None:
        with self.lock:
            self.tally.operations[kind] += 1
            self.tally.statuses["2xx"] += 1
            self.tally.moved.update(moves)

    def violation(self, what: str) -> None:
        with self.lock:
            self.tally.violations.append(what)

    # --- writes ------------------------------------------------------------------------------
    def transfer(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        entity = rng.choice(("fund", "foundation"))
        source, target = rng.sample(("1001", "1002"), 2)
        fen = rng.randint(1, 50_000)
        status, _ = self.call(conn, "admin", "POST", "/api/entries", {
            "entity": entity, "effective_date": self.day, "memo": "现金存取 cash transfer",
            "postings": [{"account": target, "debit": _yuan(fen)},
                         {"account": source, "credit": _yuan(fen)}]})
        if status == 201:
            self.acknowledged("transfer", {(entity, target): fen, (entity, source): -fen})

    def expense(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        fen = rng.randint(100_000, 1_000_000)  # 1,000 to 10,000 yuan: the 105,000 runs out
        status, _ = self.call(conn, "fm1", "POST", "/api/expenses", {
            "category": "administration", "amount": _yuan(fen), "spent_on": self.day,
            "payee": "嘉兴市秀洲印刷厂", "memo": "会员手册印刷"})
        if status == 201:
            self.acknowledged("expense", {("fund", "5201"): fen, ("fund", "1002"): -fen})

    def bridging(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        """One service through its life: requested, approved (cap), activated, repaid."""
        advance = rng.random() < 0.5  # small advances of the fund's money, or large bridges
        cap = self.setup.cap_fen
        fen = rng.randint(1, 4) * cap // 100 if advance else rng.randint(1, 6) * cap // 10
        status, service = self.call(conn, "fm1", "POST", "/api/services", {
            "member_id": self.setup.member_id, "bank": "嘉兴银行", "loan_amount": _yuan(fen),
            "bridge_from": self.day, "bridge_to": self.day})
        if status != 201:
            return
        self.acknowledged("service requested", {})
        path = f"/api/services/{service['id']}"
        if self.call(conn, "fm2", "POST", f"{path}/approve")[0] != 200:
            return
        self.acknowledged("service approved", {})
        if self.call(conn, "fm1", "POST", f"{path}/activate",
                     {"advance": advance, "on": self.day})[0] != 200:
            self.call(conn, "fm1", "POST", f"{path}/end", {"status": "repaid", "on": self.day})
            return
        moved = {("fund", "1122"): fen, ("fund", "1002"): -fen} if advance else {}
        self.acknowledged("service activated", moved)
        if self.call(conn, "fm1", "POST", f"{path}/end",
                     {"status": "repaid", "on": self.day})[0] == 200:
            self.acknowledged("service repaid", {k: -v for k, v in moved.items()})

    def resolve(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        with self.lock:
            if not self.pending:
                return
            application = rng.choice(self.pending)
        status, found = self.call(conn, "board1", "POST",
                                  f"/api/applications/{application}/resolutions", {"on": self.day})
        if status in (201, 409):
            with self.lock:
                if application in self.pending:
                    self.pending.remove(application)
        if status == 201 and found.get("grant_id"):
            grant_fen = self.setup.grant_fen
            self.acknowledged("grant committed", {("foundation", "5101"): grant_fen,
                                                  ("foundation", "220901"): -grant_fen})
            with self.lock:
                self.grants[int(found["grant_id"])] = 1

    def tranche(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        with self.lock:
            open_grants = [g for g, n in self.grants.items() if n <= 2]
            if not open_grants:
                return
            grant = rng.choice(open_grants)
            number = self.grants[grant]
        evaluation = {"evaluated_on": self.day, "evaluators": "嘉兴市社会组织评估中心",
                      "result": "passed", "notes": "验收合格"}
        if number == 2 and self.call(conn, "fm1", "POST", f"/api/grants/{grant}/evaluations",
                                     evaluation)[0] != 200:
            return
        status, _ = self.call(conn, "fm1", "POST", f"/api/grants/{grant}/payments",
                              {"number": number, "on": self.day})
        if status == 200:
            fen = self.setup.grant_fen // 2
            self.acknowledged("tranche paid", {("foundation", "220901"): fen,
                                               ("foundation", "1002"): -fen})
            with self.lock:
                self.tally.paid[grant] += fen
        if status in (200, 409):
            with self.lock:
                self.grants[grant] = max(self.grants[grant], number + 1)

    # --- reads, each checked -----------------------------------------------------------------
    def read(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        what = rng.choice(("fund", "foundation", "funds", "round", "exposure", "position"))
        if what in ("fund", "foundation"):
            status, tb = self.call(conn, "aud1", "GET", f"/api/entities/{what}/trial-balance")
            if status == 200:
                self._check_trial_balance(what, tb)
        elif what == "funds":
            status, funds = self.call(conn, "aud1", "GET", "/api/foundation/funds")
            if status == 200 and _fen(funds["available"]) != self.constants["available"]:
                self.violation(f"available funds read {funds['available']}, not "
                               f"{_yuan(self.constants['available'])}")
        elif what == "round":
            status, found = self.call(conn, "aud1", "GET", f"/api/rounds/{self.setup.round_id}")
            if status == 200:
                committed, reserved = _fen(found["committed"]), _fen(found["reserved"])
                if committed > self.setup.budget_fen or \
                        committed + reserved != self.setup.budget_fen:
                    self.violation(f"round: committed {found['committed']} + reserved "
                                   f"{found['reserved']} against a budget of {found['budget']}")
        elif what == "exposure":
            status, seen = self.call(conn, "aud1", "GET",
                                     f"/api/members/{self.setup.member_id}/exposure")
            if status == 200 and _fen(seen["outstanding"]) > _fen(seen["cap"]):
                self.violation(f"bridging: {seen['outstanding']} outstanding, cap {seen['cap']}")
        else:
            status, seen = self.call(conn, "aud1", "GET", "/api/fund/position")
            if status == 200 and _fen(seen["operating_funds"]) < 0:
                self.violation(f"fund: operating money {seen['operating_funds']}")
        if status == 200:
            with self.lock:
                self.tally.reads_checked += 1

    def _check_trial_balance(self, entity: str, tb: dict[str, Any]) -> None:
        if not tb["balanced"]:
            self.violation(f"{entity}: trial balance does not balance")
        total = funds_total(tb)
        if total != self.constants[entity]:
            self.violation(f"{entity}: total read {_yuan(total)}, not "
                           f"{_yuan(self.constants[entity])}")

    # --- the client loop ---------------------------------------------------------------------
    def client(self, index: int, seed: int, stop: float) -> None:
        rng = random.Random(seed * 1_000 + index)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        kinds, weights = list(self.weights), list(self.weights.values())
        try:
            while time.monotonic() < stop:
                getattr(self, rng.choices(kinds, weights)[0])(conn, rng)
        finally:
            conn.close()


def balances(tb: dict[str, Any]) -> dict[str, int]:
    """Account -> debit minus credit, in fen, from a trial balance's JSON."""
    return {line["account"]: _fen(line["debit"]) - _fen(line["credit"]) for line in tb["lines"]}


def funds_total(tb: dict[str, Any]) -> int:
    """Assets, liabilities and expenses together (debit minus credit): constant while money
    only moves between them, as every operation of the workload does."""
    return sum(v for account, v in balances(tb).items() if account[0] in "125")


# --- one run, end to end ---------------------------------------------------------------------
@dataclass
class Result:
    backend: str
    clients: int
    workers: int
    seconds: float
    faults: str
    tally: Tally
    lost: list[str]
    caps: list[str]
    chain: str
    chain_ok: bool
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds of each step

    @property
    def sound(self) -> bool:
        t = self.tally
        return (t.unexpected == 0 and not t.violations and not self.lost and self.chain_ok
                and all(line.endswith("held") for line in self.caps))


def _snapshot(conn: http.client.HTTPConnection, load: Workload
              ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    books, constants = {}, {}
    for entity in ("fund", "foundation"):
        status, tb = load.call(conn, "aud1", "GET", f"/api/entities/{entity}/trial-balance")
        if status != 200:
            raise RuntimeError(f"trial balance of {entity}: {status} {tb}")
        books[entity], constants[entity] = balances(tb), funds_total(tb)
    status, funds = load.call(conn, "aud1", "GET", "/api/foundation/funds")
    constants["available"] = _fen(funds["available"])
    return books, constants


def phase(url: str, port: int, setup: Setup, *, backend: str, clients: int, seconds: float,
          workers: int, faults: str = "", seed: int = 1, weights: dict[str, int] | None = None,
          previous: Workload | None = None) -> tuple[Result, Workload]:
    """Run the clients against the server on `port` for `seconds`, then check the books."""
    started = time.monotonic()
    load = Workload(port, setup, weights, previous)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    load.initial, load.constants = _snapshot(conn, load)
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=load.client, args=(i, seed, stop))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded = time.monotonic()
    final, _ = _snapshot(conn, load)
    caps = _final_caps(conn, load)
    conn.close()
    lost = _lost_writes(load, final)
    chain_ok, chain = _verify(url)
    timing = {"load": loaded - started, "checks": time.monotonic() - loaded}
    return Result(backend, clients, workers, seconds, faults, load.tally, lost, caps, chain,
                  chain_ok, timing), load


def run(backend: str, url: str, *, clients: int, seconds: float, workers: int,
        faults: str = "", seed: int = 1, applications: int = 40, fit: int = 24,
        migrate_first: bool = True, weights: dict[str, int] | None = None,
        deposit_fen: int = DEPOSIT_FEN, preload: bool = False) -> Result:
    """Prepare the books at `url`, serve them, run the clients for `seconds`, check."""
    started = time.monotonic()
    setup = prepare(url, applications=applications, fit=fit, migrate_first=migrate_first,
                    deposit_fen=deposit_fen)
    prepared = time.monotonic()
    with serve(url, workers=workers, faults=faults, preload=preload) as port:
        ready = time.monotonic()
        result, _ = phase(url, port, setup, backend=backend, clients=clients, seconds=seconds,
                          workers=workers, faults=faults, seed=seed, weights=weights)
        stopping = time.monotonic()
    result.phases = {"books prepared": prepared - started, "server ready": ready - prepared,
                     **result.phases, "server stopped": time.monotonic() - stopping}
    return result


def _lost_writes(load: Workload, final: dict[str, dict[str, int]]) -> list[str]:
    """Accounts whose balance is not the initial one plus every acknowledged movement."""
    lost = []
    for entity, accounts in final.items():
        for account in sorted(set(accounts) | set(load.initial[entity])):
            expected = load.initial[entity].get(account, 0) + \
                load.tally.moved[(entity, account)]
            if accounts.get(account, 0) != expected:
                lost.append(f"{entity} {account}: {_yuan(accounts.get(account, 0))} in the "
                            f"books, {_yuan(expected)} acknowledged")
    return lost


def _final_caps(conn: http.client.HTTPConnection, load: Workload) -> list[str]:
    setup, lines = load.setup, []
    _, found = load.call(conn, "aud1", "GET", f"/api/rounds/{setup.round_id}")
    committed = _fen(found["committed"])
    lines.append(f"round budget {found['budget']}: committed {found['committed']} "
                 f"({committed // setup.grant_fen} grants) "
                 + ("held" if committed <= setup.budget_fen else "EXCEEDED"))
    _, seen = load.call(conn, "aud1", "GET", f"/api/members/{setup.member_id}/exposure")
    lines.append(f"bridging cap {seen['cap']}: outstanding {seen['outstanding']} "
                 + ("held" if _fen(seen["outstanding"]) <= _fen(seen["cap"]) else "EXCEEDED"))
    _, position = load.call(conn, "aud1", "GET", "/api/fund/position")
    lines.append(f"fund operating money {position['operating_funds']} "
                 + ("held" if _fen(position["operating_funds"]) >= 0 else "EXCEEDED"))
    _, made = load.call(conn, "aud1", "GET", f"/api/grants?round_id={setup.round_id}")
    over = [g["id"] for g in made if _fen(g["paid"]) > _fen(g["amount"])
            or _fen(g["paid"]) != load.tally.paid[g["id"]]]
    lines.append(f"tranches: {sum(_fen(g['paid']) for g in made) // 100:,} yuan paid on "
                 f"{len(made)} grants, " + (f"EXCEEDED or unacknowledged on {over}" if over
                                            else "none beyond its grant: held"))
    return lines


def _verify(url: str) -> tuple[bool, str]:
    from ledger.db.chain import verify, verify_audit
    from ledger.db.session import UnitOfWork, make_engine

    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        journal, audit = uow.read(verify), uow.read(verify_audit)
    finally:
        engine.dispose()
    ok = journal.ok and audit.ok
    text = (f"{journal.checked:,} entries and {audit.checked:,} audit records verified" if ok
            else f"FAILED: journal {journal.reason}; audit {audit.reason}")
    return ok, text


def report(result: Result) -> None:
    t = result.tally
    print(f"{result.backend}: {result.clients} clients, gunicorn {result.workers} sync worker "
          f"processes, {result.seconds:g} s" + (f", FAULT {result.faults}" if result.faults
                                                 else ""))
    ops = sum(t.operations.values())
    print(f"  operations   {ops:,} acknowledged ({ops / result.seconds:,.1f}/s): "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(t.operations.items())))
    answered = len(t.latencies)
    print(f"  requests     {answered:,} answered ({answered / result.seconds:,.1f}/s),"
          f" latency p50 {t.latency_ms(0.5):.0f} ms, p99 {t.latency_ms(0.99):.0f} ms,"
          f" max {t.latency_ms(1.0):.0f} ms")
    print(f"  reads        {t.reads_checked:,} checked, violations {len(t.violations)}")
    for line in t.violations[:ERROR_SAMPLES]:
        print(f"    violation: {line}")
    print("  by status    " + ", ".join(f"{k}: {v:,}" for k, v in sorted(t.statuses.items())))
    print(f"  errors       {t.unexpected:,} unexpected answers (5xx, dropped, other refusals)")
    for sample in t.errors:
        print(f"    error: {sample}")
    for line in result.caps:
        print(f"  cap          {line}")
    print(f"  lost writes  {len(result.lost)}" + "".join(f"\n    {x}" for x in result.lost[:8]))
    print(f"  chain        {result.chain}")
    print("  wall time    " + ", ".join(f"{k} {v:.1f} s" for k, v in result.phases.items()))
    print(f"  verdict      {'HELD' if result.sound else 'BROKEN'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2 * len(os.sched_getaffinity(0)) + 1,
                        help="gunicorn worker processes (default as `make serve`: 2 x CPUs + 1)")
    parser.add_argument("--fault", default="", help=f"comma-separated: {', '.join(FAULTS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--applications", type=int, default=120)
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL")
    args = parser.parse_args()
    with scratch(args.database, PG_DATABASE, pg_admin=args.pg, migrated=False) as url:
        result = run(args.database, url, clients=args.clients, seconds=args.seconds,
                     workers=args.workers, faults=args.fault, seed=args.seed,
                     applications=args.applications, fit=args.applications * 3 // 5)
    report(result)
    sys.exit(0 if result.sound else 1)


if __name__ == "__main__":
    main()
