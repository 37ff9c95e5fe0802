"""The authorisation table: who may use every route of the app, checked by sending the request.

EXPECTED is written out by hand, one line per (endpoint, method). It is the reviewed statement
of who may do what; the tests below fail when

- a route exists that the table does not name (a new route must be added here, deliberately),
  or the table names a route that no longer exists;
- a route's `@requires(...)` / `@public` declaration disagrees with the table;
- a real request, from anonymous and from one account of each role, is answered otherwise
  than the table says: allowed -> neither 401/403 nor a redirect to the login page; refused ->
  401 (anonymous) / 403 as problem+json on /api/, 302 to /staff/login (anonymous) / 403 on
  pages.

The requests run on SQLite only: authorisation does not depend on the database.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import pytest
from flask import Flask, Response
from flask_wtf.csrf import CSRFError
from werkzeug.routing import Rule

from api import create_app, state
from api.auth import ATTRIBUTE, PUBLIC, declared_roles
from ledger.core.staff import Role
from tests.conftest import PASSWORD, Staff

ANON, ADMIN, FM, BOARD, AUDITOR = "anonymous", "admin", "fund_manager", "board_member", "auditor"
STAFF = frozenset({ADMIN, FM, BOARD, AUDITOR})
EVERYONE = STAFF | {ANON}
ADMIN_ONLY = frozenset({ADMIN})
PREPARERS = frozenset({ADMIN, FM})
BOARD_ONLY = frozenset({BOARD})
RESOLVERS = frozenset({ADMIN, BOARD})
AUDITOR_ONLY = frozenset({AUDITOR})
#: Who asks, in this order: anonymous first, then one account per role.
IDENTITIES: tuple[str, ...] = (ANON, ADMIN, FM, BOARD, AUDITOR)
ACCOUNT_OF = {ADMIN: "admin1", FM: "fm1", BOARD: "board1", AUDITOR: "aud1"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

# --- the table --------------------------------------------------------------------------------
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # public pages and documents
    ("home", "GET"): EVERYONE,
    ("healthz", "GET"): EVERYONE,
    ("static", "GET"): EVERYONE,
    ("problem_type", "GET"): EVERYONE,
    ("language", "POST"): EVERYONE,
    ("api-docs.openapi_json", "GET"): EVERYONE,
    # the books (JSON API)
    ("books.list_entities", "GET"): STAFF,
    ("books.list_accounts", "GET"): STAFF,
    ("books.account_balance", "GET"): STAFF,
    ("books.trial_balance", "GET"): STAFF,
    ("books.list_entries", "GET"): STAFF,
    ("books.get_entry", "GET"): STAFF,
    ("books.post_entry", "POST"): ADMIN_ONLY,
    ("books.post_batch", "POST"): ADMIN_ONLY,
    ("books.reverse_entry", "POST"): PREPARERS,
    # staff (JSON API): me and my tokens
    ("staff_api.me", "GET"): STAFF,
    ("staff_api.list_tokens", "GET"): STAFF,
    ("staff_api.create_token", "POST"): STAFF,
    ("staff_api.revoke_token", "POST"): STAFF,
    # staff accounts (JSON API): admins
    ("staff_api.list_users", "GET"): ADMIN_ONLY,
    ("staff_api.create_user", "POST"): ADMIN_ONLY,
    ("staff_api.set_roles", "POST"): ADMIN_ONLY,
    ("staff_api.disable_user", "POST"): ADMIN_ONLY,
    # the audit log (JSON API): auditors and admins
    ("staff_api.audit_log", "GET"): frozenset({AUDITOR, ADMIN}),
    # vouchers (JSON API): everyone reads; fund managers and admins prepare and decide
    ("staff_api.list_vouchers", "GET"): STAFF,
    ("staff_api.get_voucher", "GET"): STAFF,
    ("staff_api.submit_voucher", "POST"): PREPARERS,
    ("staff_api.approve_voucher", "POST"): PREPARERS,
    ("staff_api.reject_voucher", "POST"): PREPARERS,
    # the mutual-aid fund: everyone reads; fund managers and admins record; admins set policy
    ("mutual_aid.list_members", "GET"): STAFF,
    ("mutual_aid.get_member", "GET"): STAFF,
    ("mutual_aid.register_member", "POST"): PREPARERS,
    ("mutual_aid.set_member_status", "POST"): PREPARERS,
    ("mutual_aid.list_policies", "GET"): STAFF,
    ("mutual_aid.set_policy", "POST"): ADMIN_ONLY,
    ("mutual_aid.list_deposits", "GET"): STAFF,
    ("mutual_aid.get_deposit", "GET"): STAFF,
    ("mutual_aid.deposit_receipt", "GET"): STAFF,
    ("mutual_aid.record_deposit", "POST"): PREPARERS,
    ("mutual_aid.reverse_deposit", "POST"): PREPARERS,
    ("mutual_aid.list_transfers", "GET"): STAFF,
    ("mutual_aid.transfer", "POST"): PREPARERS,
    ("bridging.list_services", "GET"): STAFF,
    ("bridging.get_service", "GET"): STAFF,
    ("bridging.request_service", "POST"): PREPARERS,
    ("bridging.approve_service", "POST"): PREPARERS,
    ("bridging.reject_service", "POST"): PREPARERS,
    ("bridging.activate_service", "POST"): PREPARERS,
    ("bridging.end_service", "POST"): PREPARERS,
    ("bridging.member_exposure", "GET"): STAFF,
    ("bridging.list_expenses", "GET"): STAFF,
    ("bridging.record_expense", "POST"): PREPARERS,
    ("bridging.fund_position", "GET"): STAFF,
    # the foundation (JSON API): everyone reads; fund managers and admins record
    ("foundation.list_incomes", "GET"): STAFF,
    ("foundation.record_income", "POST"): PREPARERS,
    ("foundation.get_income", "GET"): STAFF,
    ("foundation.release_restriction", "POST"): PREPARERS,
    ("foundation.funds", "GET"): STAFF,
    ("foundation.list_grantees", "GET"): STAFF,
    ("foundation.register_grantee", "POST"): PREPARERS,
    ("foundation.get_grantee", "GET"): STAFF,
    # grants (JSON API): everyone reads; fund managers and admins run rounds, applications and
    # grants; board members declare, score and vote; board members or admins resolve
    ("grants.list_rounds", "GET"): STAFF,
    ("grants.create_round", "POST"): PREPARERS,
    ("grants.get_round", "GET"): STAFF,
    ("grants.open_round", "POST"): PREPARERS,
    ("grants.start_review", "POST"): PREPARERS,
    ("grants.close_round", "POST"): PREPARERS,
    ("grants.cancel_round", "POST"): PREPARERS,
    ("grants.round_ranking", "GET"): STAFF,
    ("grants.round_history", "GET"): STAFF,
    ("grants.list_applications", "GET"): STAFF,
    ("grants.submit_application", "POST"): PREPARERS,
    ("grants.get_application", "GET"): STAFF,
    ("grants.withdraw_application", "POST"): PREPARERS,
    ("grants.add_attachment", "POST"): PREPARERS,
    ("grants.get_attachment", "GET"): STAFF,
    ("grants.application_history", "GET"): STAFF,
    ("grants.application_minutes", "GET"): STAFF,
    ("grants.get_review", "GET"): STAFF,
    ("grants.declare", "POST"): BOARD_ONLY,
    ("grants.score", "POST"): BOARD_ONLY,
    ("grants.vote", "POST"): BOARD_ONLY,
    ("grants.record_assembly_vote", "POST"): PREPARERS,
    ("grants.resolve", "POST"): RESOLVERS,
    ("grants.review_queue", "GET"): BOARD_ONLY,
    ("grants.list_grants", "GET"): STAFF,
    ("grants.get_grant", "GET"): STAFF,
    ("grants.pay_tranche", "POST"): PREPARERS,
    ("grants.evaluate", "POST"): PREPARERS,
    ("grants.close_grant", "POST"): PREPARERS,
    ("grants.claw_back", "POST"): PREPARERS,
    # repair campaigns (JSON API): every staff role reads; fund managers and admins record
    ("campaigns.list_campaigns", "GET"): STAFF,
    ("campaigns.create_campaign", "POST"): PREPARERS,
    ("campaigns.get_campaign", "GET"): STAFF,
    ("campaigns.import_roll", "POST"): PREPARERS,
    ("campaigns.open_campaign", "POST"): PREPARERS,
    ("campaigns.list_households", "GET"): STAFF,
    ("campaigns.door_to_door", "GET"): STAFF,
    ("campaigns.mark_household", "POST"): PREPARERS,
    ("campaigns.assign_shortfall", "POST"): PREPARERS,
    ("campaigns.receive_subsidy", "POST"): PREPARERS,
    ("campaigns.list_payments", "GET"): STAFF,
    ("campaigns.record_payment", "POST"): PREPARERS,
    ("campaigns.import_payments", "POST"): PREPARERS,
    ("campaigns.list_imports", "GET"): STAFF,
    ("campaigns.pay_contractor", "POST"): PREPARERS,
    ("campaigns.close_campaign", "POST"): PREPARERS,
    ("campaigns.cancel_campaign", "POST"): PREPARERS,
    ("campaigns.get_receipt", "GET"): STAFF,
    ("campaigns.receipt_pdf", "GET"): STAFF,
    # periods and statements (JSON API): staff read; managers close; admins reopen; auditors
    # verify and sign off
    ("periods.list_periods", "GET"): STAFF,
    ("periods.get_period", "GET"): STAFF,
    ("periods.start_closing", "POST"): PREPARERS,
    ("periods.close_period", "POST"): PREPARERS,
    ("periods.reopen_period", "POST"): ADMIN_ONLY,
    ("periods.verify_period", "GET"): AUDITOR_ONLY,
    ("periods.sign_off", "POST"): AUDITOR_ONLY,
    ("periods.statements", "GET"): STAFF,
    ("periods.statements_csv", "GET"): STAFF,
    ("periods.statements_pdf", "GET"): STAFF,
    ("grants.grant_history", "GET"): STAFF,
    # staff pages: logging in and out, the dashboard, my password, my access tokens
    ("staff.login", "GET"): EVERYONE,
    ("staff.login", "POST"): EVERYONE,
    ("staff.logout", "POST"): STAFF,
    ("staff.dashboard", "GET"): STAFF,
    ("staff.password", "GET"): STAFF,
    ("staff.password", "POST"): STAFF,
    ("staff.tokens", "GET"): STAFF,
    ("staff.tokens", "POST"): STAFF,
    ("staff.revoke_token", "POST"): STAFF,
    # staff pages: accounts (admins)
    ("staff.users", "GET"): ADMIN_ONLY,
    ("staff.users", "POST"): ADMIN_ONLY,
    ("staff.user", "GET"): ADMIN_ONLY,
    ("staff.user", "POST"): ADMIN_ONLY,
    ("staff.disable_user", "POST"): ADMIN_ONLY,
    # staff pages: the audit log (auditors and admins)
    ("staff.audit", "GET"): frozenset({AUDITOR, ADMIN}),
    # staff pages: vouchers (everyone reads; fund managers and admins prepare and decide)
    ("staff.voucher_list", "GET"): STAFF,
    ("staff.voucher", "GET"): STAFF,
    ("staff.new_voucher", "GET"): PREPARERS,
    ("staff.new_voucher", "POST"): PREPARERS,
    ("staff.approve_voucher", "POST"): PREPARERS,
    ("staff.reject_voucher", "POST"): PREPARERS,
    # staff pages: the mutual-aid fund (everyone reads; fund managers and admins record;
    # admins add a policy version)
    ("fund.members", "GET"): STAFF,
    ("fund.new_member", "GET"): PREPARERS,
    ("fund.new_member", "POST"): PREPARERS,
    ("fund.member", "GET"): STAFF,
    ("fund.set_member_status", "POST"): PREPARERS,
    ("fund.new_deposit", "GET"): PREPARERS,
    ("fund.new_deposit", "POST"): PREPARERS,
    ("fund.deposit", "GET"): STAFF,
    ("fund.deposit_receipt", "GET"): STAFF,
    ("fund.reverse_deposit", "GET"): PREPARERS,
    ("fund.reverse_deposit", "POST"): PREPARERS,
    ("fund.transfers", "GET"): STAFF,
    ("fund.make_transfer", "POST"): PREPARERS,
    ("fund.services", "GET"): STAFF,
    ("fund.new_service", "GET"): PREPARERS,
    ("fund.new_service", "POST"): PREPARERS,
    ("fund.service", "GET"): STAFF,
    ("fund.approve_service", "POST"): PREPARERS,
    ("fund.reject_service", "POST"): PREPARERS,
    ("fund.activate_service", "POST"): PREPARERS,
    ("fund.end_service", "POST"): PREPARERS,
    ("fund.expense_list", "GET"): STAFF,
    ("fund.record_expense", "POST"): PREPARERS,
    ("fund.policies", "GET"): STAFF,
    ("fund.add_policy", "POST"): ADMIN_ONLY,
    # staff pages: the foundation (everyone reads; fund managers and admins record; board
    # members declare, score and vote, and see their review queue; reviewers and admins resolve)
    ("foundation_pages.incomes", "GET"): STAFF,
    ("foundation_pages.new_income", "GET"): PREPARERS,
    ("foundation_pages.new_income", "POST"): PREPARERS,
    ("foundation_pages.income", "GET"): STAFF,
    ("foundation_pages.release_income", "POST"): PREPARERS,
    ("foundation_pages.grantee_list", "GET"): STAFF,
    ("foundation_pages.new_grantee", "GET"): PREPARERS,
    ("foundation_pages.new_grantee", "POST"): PREPARERS,
    ("foundation_pages.grantee", "GET"): STAFF,
    ("foundation_pages.round_list", "GET"): STAFF,
    ("foundation_pages.new_round", "GET"): PREPARERS,
    ("foundation_pages.new_round", "POST"): PREPARERS,
    ("foundation_pages.round", "GET"): STAFF,
    ("foundation_pages.open_round", "POST"): PREPARERS,
    ("foundation_pages.start_review", "POST"): PREPARERS,
    ("foundation_pages.close_round", "POST"): PREPARERS,
    ("foundation_pages.cancel_round", "POST"): PREPARERS,
    ("foundation_pages.new_application", "GET"): PREPARERS,
    ("foundation_pages.new_application", "POST"): PREPARERS,
    ("foundation_pages.application", "GET"): STAFF,
    ("foundation_pages.add_attachment", "POST"): PREPARERS,
    ("foundation_pages.attachment", "GET"): STAFF,
    ("foundation_pages.withdraw_application", "POST"): PREPARERS,
    ("foundation_pages.declare", "POST"): BOARD_ONLY,
    ("foundation_pages.score", "POST"): BOARD_ONLY,
    ("foundation_pages.vote", "POST"): BOARD_ONLY,
    ("foundation_pages.assembly_vote", "POST"): PREPARERS,
    ("foundation_pages.resolve", "POST"): RESOLVERS,
    ("foundation_pages.minutes_pdf", "GET"): STAFF,
    ("foundation_pages.queue", "GET"): BOARD_ONLY,
    ("foundation_pages.grant_list", "GET"): STAFF,
    ("foundation_pages.grant", "GET"): STAFF,
    ("foundation_pages.pay_tranche", "POST"): PREPARERS,
    ("foundation_pages.evaluate", "POST"): PREPARERS,
    ("foundation_pages.close_grant", "POST"): PREPARERS,
    ("foundation_pages.claw_back", "POST"): PREPARERS,
    # repair campaigns (pages): every staff role reads; fund managers and admins record
    ("campaign_pages.campaign_list", "GET"): STAFF,
    ("campaign_pages.campaign", "GET"): STAFF,
    ("campaign_pages.roll", "GET"): STAFF,
    ("campaign_pages.door_to_door", "GET"): STAFF,
    ("campaign_pages.payment_list", "GET"): STAFF,
    ("campaign_pages.import_report", "GET"): STAFF,
    ("campaign_pages.receipt", "GET"): STAFF,
    ("campaign_pages.receipt_pdf", "GET"): STAFF,
    ("campaign_pages.new_campaign", "GET"): PREPARERS,
    ("campaign_pages.new_campaign", "POST"): PREPARERS,
    ("campaign_pages.import_roll", "GET"): PREPARERS,
    ("campaign_pages.import_roll", "POST"): PREPARERS,
    ("campaign_pages.new_payment", "GET"): PREPARERS,
    ("campaign_pages.new_payment", "POST"): PREPARERS,
    ("campaign_pages.import_payments", "GET"): PREPARERS,
    ("campaign_pages.import_payments", "POST"): PREPARERS,
    ("campaign_pages.open_campaign", "POST"): PREPARERS,
    ("campaign_pages.receive_subsidy", "POST"): PREPARERS,
    ("campaign_pages.assign_shortfall", "POST"): PREPARERS,
    ("campaign_pages.pay_contractor", "POST"): PREPARERS,
    ("campaign_pages.close_campaign", "POST"): PREPARERS,
    ("campaign_pages.cancel_campaign", "POST"): PREPARERS,
    ("campaign_pages.confirm_roll", "POST"): PREPARERS,
    ("campaign_pages.mark_household", "POST"): PREPARERS,
    ("campaign_pages.confirm_payments", "POST"): PREPARERS,
    # periods and statements (pages)
    ("period_pages.period_list", "GET"): STAFF,
    ("period_pages.period", "GET"): STAFF,
    ("period_pages.start_closing", "POST"): PREPARERS,
    ("period_pages.close_period", "POST"): PREPARERS,
    ("period_pages.reopen_period", "POST"): ADMIN_ONLY,
    ("period_pages.sign_off", "POST"): AUDITOR_ONLY,
    ("period_pages.statements_pdf", "GET"): STAFF,
    ("period_pages.statements_csv", "GET"): STAFF,
    ("period_pages.statements_json", "GET"): STAFF,
    # the public transparency pages (issue 8): no login
    ("transparency.periods", "GET"): EVERYONE,
    ("transparency.period", "GET"): EVERYONE,
    ("transparency.statements_pdf", "GET"): EVERYONE,
    ("transparency.receipts", "GET"): EVERYONE,
    ("transparency.proof", "GET"): EVERYONE,
    ("transparency_overview.overview", "GET"): EVERYONE,
    ("transparency_overview.grants", "GET"): EVERYONE,
    ("transparency_overview.campaigns", "GET"): EVERYONE,
    ("transparency_overview.data", "GET"): EVERYONE,
    ("transparency_overview.data_file", "GET"): EVERYONE,
    ("transparency_overview.schema", "GET"): EVERYONE,
}


# --- the routes the app has -------------------------------------------------------------------
def route_methods(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield rule, method


def roles_named(declared: tuple[Role, ...] | None) -> frozenset[str] | None:
    if declared is None:
        return None
    return EVERYONE if declared == PUBLIC else frozenset(Role(r).value for r in declared)


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app without a database behind it, for what needs no request."""
    path = tmp_path_factory.mktemp("matrix") / "unused.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}",
                      "HUZHU_ENV": "development", "SECRET_KEY": "matrix test key"})
    yield app
    with app.app_context():
        state.engine().dispose()


def test_the_table_names_every_route_and_only_routes_that_exist(bare_app: Flask) -> None:
    present = {(rule.endpoint, method) for rule, method in route_methods(bare_app)}
    missing = sorted(present - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - present)
    assert not missing, f"routes missing from EXPECTED (add them, with who may use them): {missing}"
    assert not stale, f"EXPECTED names routes that no longer exist (remove them): {stale}"


def test_every_route_declares_what_the_table_says(bare_app: Flask) -> None:
    with bare_app.app_context():
        declared = {(rule.endpoint, method): roles_named(declared_roles(rule.endpoint))
                    for rule, method in route_methods(bare_app)}
    undeclared = sorted(key for key, roles in declared.items() if roles is None)
    assert not undeclared, f"routes without @requires(...) or @public: {undeclared}"
    differ = {key: {"declared": sorted(roles or ()), "table": sorted(EXPECTED[key])}
              for key, roles in declared.items() if key in EXPECTED and roles != EXPECTED[key]}
    assert not differ, f"declarations that disagree with EXPECTED: {differ}"


# --- the command line -------------------------------------------------------------------------
OUR_GROUPS = ("db", "ledger", "users")
CLI_ROLES = {"operator"} | {r.value for r in Role}


def leaf_commands(command: click.Command, path: tuple[str, ...] = ()
                  ) -> Iterator[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from leaf_commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def undeclared_commands(app: Flask, groups: tuple[str, ...] | None) -> dict[str, Any]:
    """Commands (under `groups`, or all) whose callback lacks a valid __huzhu_roles__."""
    found: dict[str, Any] = {}
    for name, command in sorted(app.cli.commands.items()):
        if groups is not None and name not in groups:
            continue
        for path, leaf in leaf_commands(command, (name,)):
            roles = getattr(leaf.callback, ATTRIBUTE, None)
            valid = (isinstance(roles, tuple) and roles
                     and all(getattr(r, "value", r) in CLI_ROLES for r in roles))
            if not valid:
                found[path] = roles
    return found


def test_every_command_of_ours_declares_who_may_run_it(bare_app: Flask) -> None:
    present = set(bare_app.cli.commands)
    assert present >= set(OUR_GROUPS), f"command groups missing: {set(OUR_GROUPS) - present}"
    commands = [path for name in OUR_GROUPS
                for path, _ in leaf_commands(bare_app.cli.commands[name], (name,))]
    assert len(commands) >= 7, commands  # db upgrade|current, ledger verify, users x4
    assert undeclared_commands(bare_app, OUR_GROUPS) == {}


def test_every_command_on_the_app_declares_who_may_run_it(bare_app: Flask) -> None:
    assert undeclared_commands(bare_app, None) == {}


# --- real requests ----------------------------------------------------------------------------
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
REDIRECTS = {301, 302, 303, 307, 308}
PROBLEM_JSON = "application/problem+json"
LOGIN_PATH = "/staff/login"
CSRF_REFUSED = "X-Test-CSRF-Refused"
#: Routes whose own answer is the login page (after logging out), not a refusal.
ANSWER_WITH_LOGIN_PAGE = {"staff.logout"}


@dataclass
class World:
    """Real objects to put in path parameters."""

    values: dict[str, Any]
    #: token_id: a spare token per account, so that each role revokes one of its own
    spare_tokens: dict[str, int] = field(default_factory=dict)

    def path_values(self, rule: Rule, identity: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in sorted(rule.arguments):
            if name == "token_id":
                values[name] = self.spare_tokens[ACCOUNT_OF.get(identity, "admin1")]
            elif name in self.values:
                values[name] = self.values[name]
            else:
                pytest.fail(f"no value for <{name}> of {rule.rule}: add one in `world`")
        return values


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("authorisation does not depend on the database: SQLite only")


def _api_post(client: Any, path: str, body: dict[str, Any] | None, headers: dict[str, str],
              status: int = 201) -> Any:
    response = client.post(path, json=body,
                           headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _grant_programme(client: Any, staff_accounts: Staff) -> dict[str, int]:
    """An income, a grantee, a round reviewed by board1, an application with a file, and the
    grant its resolution committed: the ids of each."""
    admin, board = staff_accounts.bearer("admin1"), staff_accounts.bearer("board1")
    income = _api_post(client, "/api/incomes", {
        "source": "welfare_lottery", "donor": "福彩", "amount": "100000.00",
        "received_on": "2026-01-05"}, admin)
    grantee = _api_post(client, "/api/grantees", {
        "name_zh": "新塍镇社会工作服务中心", "credit_code": "52330411MJ0000001E",
        "registration": "registered", "contact_name": "陈", "contact_phone": "138",
        "bank_name": "嘉兴银行", "bank_account": "6228"}, admin)
    found = _api_post(client, "/api/rounds", {
        "title": "matrix round", "description": "d", "eligibility": "e", "budget": "50000.00",
        "opens_on": "2026-02-01", "closes_on": "2026-03-31", "quorum": 1,
        "criteria": [{"name": "需求", "weight": 100}], "reviewers": ["board1"]}, admin)
    _api_post(client, f"/api/rounds/{found['id']}/open", None, admin, 200)
    application = _api_post(client, "/api/applications", {
        "round_id": found["id"], "grantee_id": grantee["id"], "title": "t", "need": "n",
        "requested": "50000.00", "budget": [{"item": "i", "amount": "50000.00"}],
        "tranches": [{"number": 1, "due_on": "2026-05-01", "amount": "50000.00"}],
        "submitted_on": "2026-02-15"}, admin)
    upload = client.post(f"/api/applications/{application['id']}/attachments",
                         data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
                         content_type="multipart/form-data",
                         headers={**admin, "Idempotency-Key": str(uuid.uuid4())})
    assert upload.status_code == 201, upload.get_data(as_text=True)
    _api_post(client, f"/api/rounds/{found['id']}/review", None, admin, 200)
    path = f"/api/applications/{application['id']}"
    _api_post(client, f"{path}/declaration", {"conflicted": False}, board)
    _api_post(client, f"{path}/votes", {"choice": "for"}, board)
    resolution = _api_post(client, f"{path}/resolutions", {"on": "2026-04-01"}, board)
    return {"income_id": income["id"], "grantee_id": grantee["id"], "round_id": found["id"],
            "application_id": application["id"], "attachment_id": upload.get_json()["id"],
            "grant_id": resolution["grant_id"]}


@pytest.fixture
def csrf_refusals_marked(app: Flask) -> None:
    """Mark the app's CSRF refusals, so that a missing or stale token cannot pass for an
    answer of the authorisation layer (the CSRF check runs before it)."""

    def refused(error: CSRFError) -> Response:
        return Response(error.description, 400, {CSRF_REFUSED: "1"})

    app.register_error_handler(CSRFError, refused)


@pytest.fixture
def world(csrf_refusals_marked: None, client: Any, staff_accounts: Staff) -> World:
    admin, preparer = staff_accounts.bearer("admin1"), staff_accounts.bearer("fm2")
    entry = _api_post(client, "/api/entries", {
        "entity": "fund", "effective_date": "2025-11-03", "memo": "matrix entry",
        "postings": [{"account": "1002", "debit": "100.00"},
                     {"account": "420101", "credit": "100.00"}]}, admin)
    voucher = _api_post(client, "/api/vouchers", {
        "entity": "fund", "effective_date": "2025-11-04", "memo": "matrix voucher",
        "postings": [{"account": "1002", "debit": "20.00"},
                     {"account": "420101", "credit": "20.00"}]}, preparer)
    member = _api_post(client, "/api/members", {
        "name_zh": "嘉兴永耀纺织有限公司", "credit_code": "91350100M000100Y43",
        "legal_representative": "张三", "contact_name": "李四", "contact_phone": "138",
        "joined_on": "2017-02-01"}, admin)
    deposit = _api_post(client, "/api/deposits", {
        "member_id": member["id"], "amount": "350000.00", "received_on": "2017-02-10",
        "method": "bank_transfer", "reference": "matrix"}, admin)
    service = _api_post(client, "/api/services", {
        "member_id": member["id"], "bank": "嘉兴银行", "loan_amount": "1000000.00",
        "bridge_from": "2017-03-01", "bridge_to": "2017-03-10"}, staff_accounts.bearer("fm2"))
    _api_post(client, "/api/users", {"username": "victim1", "display_name": "Victim",
                                     "password": PASSWORD, "roles": ["auditor"]}, admin)
    spare = {}
    for account in ACCOUNT_OF.values():
        made = _api_post(client, "/api/tokens", {"name": "spare"},
                         staff_accounts.bearer(account))
        spare[account] = made["id"]
    return World(values={
        "seq": entry["seq"], "voucher_id": voucher["id"], "username": "victim1",
        "member_id": member["id"], "deposit_id": deposit["id"], "service_id": service["id"],
        "entity_code": "fund", "code": "1002", "slug": "forbidden", "filename": "huzhu.css",
        **_grant_programme(client, staff_accounts),
        **_campaign(client, staff_accounts),
        "entity": "fund", "label": "2025-10",  # an empty month: its statements are quick
        "lang": "zh",  # the language of a public statements PDF
        "kind": "overview", "fmt": "json",  # an open data file
    }, spare_tokens=spare)


def _campaign(client: Any, staff_accounts: Staff) -> dict[str, int]:
    """An open repair campaign with a roll of two households and one imported payment: the
    ids of the campaign, a household and the import. (Receipt routes get the account code
    "1002" as their `code`, which is no receipt code: refused as 422, not 401/403.)"""
    admin = staff_accounts.bearer("admin1")
    found = _api_post(client, "/api/campaigns", {
        "community": "俞范东路小区", "buildings": "1幢", "title": "matrix windows",
        "repair": "hallway windows", "contractor": "镇海装修", "cost": "100.00",
        "subsidy": "0.00", "subsidy_from": "", "match": "0.00", "deadline": "2026-12-31",
        "miss_rule": "all_or_nothing", "leftover_rule": "refund"}, admin)
    path = f"/api/campaigns/{found['id']}"

    def upload(to: str, content: bytes, **fields: str) -> Any:
        response = client.post(to, data={"file": (io.BytesIO(content), "f.csv"), **fields},
                               content_type="multipart/form-data",
                               headers={**admin, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    upload(f"{path}/roll", "楼栋,单元,室,联系人,电话\n1,1,101,甲,\n1,1,102,乙,\n".encode())
    _api_post(client, f"{path}/open", None, admin, 200)
    imported = upload(f"{path}/payments/import",
                      b"reference,building,unit,room,amount,paid_on\nW1,1,1,101,50.00,2026-10-01\n",
                      method="wechat")
    household = client.get(f"{path}/households", headers=admin).get_json()[0]
    return {"campaign_id": found["id"], "household_id": household["id"],
            "import_id": imported["import_id"]}


class Pages:
    """Page sessions: a fresh client (and login) per request, so that no request (logging out,
    changing a password or roles) can disturb the session of the next."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def session(self, identity: str) -> tuple[Any, str]:
        """A client logged in as the identity's account (or anonymous) and its CSRF token."""
        client = self.app.test_client()
        page = client.get(LOGIN_PATH)
        assert page.status_code == 200, page.status_code
        if identity == ANON:
            return client, csrf_token(page.get_data(as_text=True))
        response = client.post(LOGIN_PATH, data={
            "username": ACCOUNT_OF[identity], "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True))})
        assert response.status_code == 302, response.get_data(as_text=True)
        dashboard = client.get("/staff/")
        assert dashboard.status_code == 200, dashboard.status_code
        return client, csrf_token(dashboard.get_data(as_text=True))


def csrf_token(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no csrf_token input on the page"
    return found.group(1)


def send(method: str, identity: str, path: str, client: Any, pages: Pages,
         staff_accounts: Staff) -> Any:
    """The request as `identity`: bearer token on /api/, a logged-in session on pages."""
    if path.startswith("/api/"):
        headers = {} if identity == ANON else staff_accounts.bearer(ACCOUNT_OF[identity])
        if method == "GET":
            return client.get(path, headers=headers)
        headers["Idempotency-Key"] = str(uuid.uuid4())
        return client.open(path, method=method, json={}, headers=headers)
    session, token = pages.session(identity)
    if method == "GET":
        return session.get(path)
    return session.open(path, method=method, data={"csrf_token": token})


def location_path(response: Any) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def body_of(response: Any) -> str:
    return response.get_data(as_text=True)[:500]


def assert_not_csrf(response: Any) -> None:
    assert CSRF_REFUSED not in response.headers, f"CSRF refused: {body_of(response)}"


def assert_allowed(response: Any, endpoint: str) -> None:
    assert_not_csrf(response)
    assert response.status_code not in (401, 403), body_of(response)
    if response.status_code in REDIRECTS and location_path(response) == LOGIN_PATH:
        location = response.headers["Location"]
        assert endpoint in ANSWER_WITH_LOGIN_PAGE, f"sent to the login page: {location}"
        assert "next" not in parse_qs(urlsplit(location).query), location


def assert_refused(response: Any, identity: str, path: str) -> None:
    assert_not_csrf(response)
    if path.startswith("/api/"):
        expected = 401 if identity == ANON else 403
        assert response.status_code == expected, body_of(response)
        assert response.mimetype == PROBLEM_JSON, response.headers
        assert response.get_json()["status"] == expected
        if expected == 401:
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        return
    if identity == ANON:
        assert response.status_code == 302, body_of(response)
        location = urlsplit(response.headers["Location"])
        assert location.path == LOGIN_PATH, response.headers["Location"]
        assert parse_qs(location.query).get("next") == [path], response.headers["Location"]
        return
    assert response.status_code == 403, body_of(response)


def test_who_may_use_each_route(sqlite_only: None, app: Flask, client: Any,
                                staff_accounts: Staff, world: World, subtests: Any) -> None:
    pages = Pages(app)
    adapter = app.url_map.bind("localhost")
    checks: list[tuple[Rule, str]] = list(route_methods(app))
    unknown = [(r.endpoint, m) for r, m in checks if (r.endpoint, m) not in EXPECTED]
    assert not unknown, f"add these to EXPECTED first: {unknown}"
    for rule, method in checks:
        allowed = EXPECTED[(rule.endpoint, method)]
        for identity in IDENTITIES:
            path = adapter.build(rule.endpoint, world.path_values(rule, identity),
                                 method=method)
            verdict = "allowed" if identity in allowed else "refused"
            with subtests.test(msg=f"{method} {rule.rule} as {identity}: {verdict}"):
                response = send(method, identity, path, client, pages, staff_accounts)
                try:
                    if identity in allowed:
                        assert_allowed(response, rule.endpoint)
                    else:
                        assert_refused(response, identity, path)
                finally:
                    response.close()

