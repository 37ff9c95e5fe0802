"""Hostile input: schemathesis against `/api/openapi.json`, in-process (WSGI), as anonymous and
as each staff role, then the books are verified.

    python -m bench.fuzz [--examples 5] [--db sqlite|postgresql|both] [--seed 0] [--demo]
                         [--pg URL]

For each database a fresh, migrated one (with `--demo`, holding the demo books of
ledger/demo.py, so that ids 1, 2, 3... name real records) gets one staff account per role
(ledger/core/staff.py Role) with an access token. Every operation of the OpenAPI document gets
`--examples` positive and `--examples` negative cases (Hypothesis, fixed seed), drawn once and
sent as anonymous and as each role in turn, every response run through schemathesis's checks
(CHECKS). Prints, per role, the requests sent, server errors and schema violations, then the
verification of the journal's and the audit log's chains and the trial balances. Exits 1 if
anything failed.

tests/reliability/test_fuzz*.py run the same with a few examples per operation.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import hypothesis
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import Engine

from api import create_app, state
from bench.databases import PG_ADMIN, scratch
from ledger import demo, staff
from ledger.core.chart import ENTITIES
from ledger.core.staff import Actor, Role
from ledger.db.balances import trial_balance
from ledger.db.chain import verify, verify_audit
from ledger.db.session import UnitOfWork, make_engine

ANONYMOUS = "anonymous"
ROLES: tuple[str, ...] = (ANONYMOUS, *(role.value for role in Role))
PASSWORD = "a long fuzzing passphrase 甲乙丙"
#: Every response check of schemathesis that applies to one request at a time. Not run:
#: positive_data_acceptance (a valid-looking request may still break a business rule: 404 for
#: an id that does not exist, 409 for a state), and the stateful checks that need links
#: between operations (use_after_free, ensure_resource_availability, ignored_auth,
#: object_level_authorization, which the role matrix in tests/matrix covers).
CHECKS: tuple[Callable[..., Any], ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
)
SERVER_ERROR = "not_a_server_error"


@dataclass(frozen=True)
class Finding:
    """One failed check: which role, operation and check, the status and what was wrong."""

    role: str
    operation: str
    check: str
    status: int
    detail: str

    def __str__(self) -> str:
        return (f"[{self.role}] {self.operation}: {self.check} (HTTP {self.status}) "
                f"{self.detail}")


@dataclass
class RoleReport:
    role: str
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(1 for f in self.findings if f.check == SERVER_ERROR)

    @property
    def schema_violations(self) -> int:
        return sum(1 for f in self.findings if f.check != SERVER_ERROR)


@dataclass
class BooksReport:
    chain_ok: bool
    audit_ok: bool
    balanced: bool
    detail: str

    @property
    def ok(self) -> bool:
        return self.chain_ok and self.audit_ok and self.balanced


# --- the target -------------------------------------------------------------------------------
def staff_tokens(engine: Engine) -> dict[str, str | None]:
    """One account per role with an access token (anonymous: none)."""
    uow = UnitOfWork(engine)
    tokens: dict[str, str | None] = {ANONYMOUS: None}
    for role in Role:
        username = f"fuzz_{role.value}"
        user = staff.create_user(uow, Actor.system("fuzz-setup"), username=username,
                                 display_name=username, password=PASSWORD, roles=[role.value])
        tokens[role.value], _ = staff.create_token(uow, user.actor(), username, "fuzz")
    return tokens


def make_app(db_url: str) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "HUZHU_ENV": "development",
                       "SECRET_KEY": "fuzzing secret key, not for production"})


def load_schema(app: Flask | Switch) -> Any:
    """The app's own OpenAPI document, loaded by schemathesis over WSGI."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


# --- fuzzing ----------------------------------------------------------------------------------
def _finding(role: str, operation: str, status: int, failure: Failure) -> Finding:
    check = type(failure).__name__
    name = {"ServerError": SERVER_ERROR}.get(check, check)
    title = getattr(failure, "title", "") or ""
    message = " ".join(str(getattr(failure, "message", "") or "").split())
    return Finding(role, operation, name, status, f"{title}: {message}"[:400])


def send(case: Any, token: str | None, report: RoleReport,
         checks: tuple[Callable[..., Any], ...] = CHECKS) -> int:
    """Send one case as the report's role (anonymous: without any Authorization header),
    record what the checks find; return the status."""
    drawn = case.headers
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if token is None and drawn:
        case.headers = {k: v for k, v in drawn.items() if k.lower() != "authorization"}
    try:
        response = case.call(headers=headers)
        report.requests += 1
        case.validate_response(response, checks=list(checks), headers=headers)
    except FailureGroup as group:
        report.findings.extend(
            _finding(report.role, case.operation.label, response.status_code, failure)
            for failure in group.exceptions)
    finally:
        case.headers = drawn  # the case is sent again as the next role
    return int(response.status_code)


def generate(operation: Any, examples: int, seed: int) -> list[Any]:
    """`examples` positive and `examples` negative cases of one operation (fewer when there
    is less to vary), drawn by Hypothesis from a fixed seed."""
    cases: list[Any] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @hypothesis.seed(seed)
        @hypothesis.settings(max_examples=examples, database=None, deadline=None,
                             phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def draw(case: Any) -> None:
            cases.append(case)

        # Unsatisfiable: a negative mode with nothing to negate (no parameters, no body)
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            draw()
    return cases


def fuzz_operation(operation: Any, token: str | None, examples: int, seed: int,
                   report: RoleReport) -> None:
    """One operation's cases sent as one role, each response checked."""
    for case in generate(operation, examples, seed):
        send(case, token, report)


def draw_cases(schema: Any, examples: int, seed: int = 0) -> list[Any]:
    """The cases of every operation of the document (see `generate`)."""
    return [case for result in schema.get_all_operations()
            for case in generate(result.ok(), examples, seed)]


class Switch:
    """A WSGI app that passes each request on to `target`: cases drawn once from one loaded
    document are sent to one app, then to another (SQLite, then PostgreSQL)."""

    def __init__(self, target: Flask) -> None:
        self.target = target

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.target(environ, start_response)


def fuzz_app(app: Flask, tokens: dict[str, str | None], examples: int, seed: int = 0,
             roles: tuple[str, ...] = ROLES,
             progress: Callable[[RoleReport], None] | None = None,
             cases: list[Any] | None = None) -> list[RoleReport]:
    """Every operation of the app's OpenAPI document: the cases are drawn once (or given,
    drawn through a Switch aimed at `app`), then sent as each role in turn (every failure
    recorded; nothing raised, nothing shrunk)."""
    if cases is None:
        cases = draw_cases(load_schema(app), examples, seed)
    reports = []
    for role in roles:
        report = RoleReport(role)
        for case in cases:
            send(case, tokens[role], report)
        reports.append(report)
        if progress is not None:
            progress(report)
    return reports


def check_books(engine: Engine) -> BooksReport:
    """The journal's chain, the audit chain and both trial balances (as `ledger verify`)."""
    uow = UnitOfWork(engine)
    journal = uow.read(verify)
    audit = uow.read(verify_audit)
    unbalanced = [code for code in ENTITIES
                  if not uow.read(lambda s, c=code: trial_balance(s, c, date.max)).balanced]
    detail = (f"journal: {journal.reason or f'{journal.checked} entries verify'}; "
              f"audit: {audit.reason or f'{audit.checked} records verify'}; "
              f"trial balances: {'unbalanced ' + ', '.join(unbalanced) if unbalanced else 'ok'}")
    return BooksReport(journal.ok, audit.ok, not unbalanced, detail)


# --- the command --------------------------------------------------------------------------------
def run_on(kind: str, examples: int, seed: int, pg_admin: str, with_demo: bool) -> bool:
    print(f"== {kind}: {examples} positive + {examples} negative examples per operation "
          f"and role, seed {seed}{', on the demo books' if with_demo else ''}")
    with scratch(kind, "huzhu_bench_fuzz", pg_admin=pg_admin, durable=False) as url:
        engine = make_engine(url)
        app = make_app(url)
        try:
            if with_demo:  # records to aim at: ids 1, 2, 3... exist
                demo.load(UnitOfWork(engine))
            tokens = staff_tokens(engine)
            started = time.perf_counter()
            reports = fuzz_app(app, tokens, examples, seed, progress=_print_role)
            seconds = time.perf_counter() - started
            books = check_books(engine)
        finally:
            with app.app_context():
                state.engine().dispose()
            engine.dispose()
    total = sum(r.requests for r in reports)
    errors = sum(r.server_errors for r in reports)
    violations = sum(r.schema_violations for r in reports)
    print(f"   all roles: {total:,} requests in {seconds:.0f} s ({total / seconds:.0f}/s), "
          f"{errors} server errors, {violations} schema violations")
    print(f"   verify: {'ok' if books.ok else 'FAILED'} ({books.detail})")
    for report in reports:
        for finding in sorted(set(report.findings), key=str)[:20]:
            print(f"   ! {finding}")
    return errors == 0 and violations == 0 and books.ok


def _print_role(report: RoleReport) -> None:
    print(f"   {report.role:<13} {report.requests:>7,} requests, {report.server_errors:>4} "
          f"server errors, {report.schema_violations:>4} schema violations", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5,
                        help="positive and negative examples per operation and role")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pg", default=PG_ADMIN, help="an admin URL of the PostgreSQL server")
    parser.add_argument("--demo", action="store_true",
                        help="fuzz the demo books (ledger/demo.py) rather than empty ones")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    ok = all([run_on(kind, args.examples, args.seed, args.pg, args.demo) for kind in kinds])
    print("RESULT:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
