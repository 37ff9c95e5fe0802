"""The database itself refuses to change or delete what the mutual-aid fund has recorded:
raw SQL behind the service's back, on SQLite and on PostgreSQL, leaves every row as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ledger import mutual_aid as ma
from ledger.core.money import parse_money
from ledger.core.mutual_aid import PaymentMethod
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

from .helpers import OTHER_CODE, YONGYAO

FM = Actor.system("fm-test")
WATCHED = {"deposits": "id", "split_policies": "version", "transfers": "id", "members": "id",
           "journal_entries": "seq", "postings": "entry_seq, line"}


@dataclass
class Recorded:
    transferred: int  # deposit ids
    reversed: int
    plain: int
    transfer: int
    other_member: int


def register(uow: UnitOfWork, code: str) -> ma.Member:
    return ma.register_member(uow, FM, name_zh=f"企业 {code[-4:]}", credit_code=code,
                              legal_representative="法人", contact_name="联系人",
                              contact_phone="0573-0000", joined_on=date(2025, 11, 1))


def deposit(uow: UnitOfWork, member_id: int, amount: str, day: int) -> ma.Deposit:
    return ma.record_deposit(uow, FM, member_id=member_id, amount=parse_money(amount),
                             received_on=date(2025, 11, day), method=PaymentMethod.BANK_TRANSFER,
                             reference=f"REF-{day}")


@pytest.fixture
def recorded(uow: UnitOfWork) -> Recorded:
    """One deposit transferred, one reversed, one neither; a second member."""
    member = register(uow, str(YONGYAO["credit_code"]))
    other = register(uow, OTHER_CODE)
    first = deposit(uow, member.id, "350000.00", 3)
    transfer = ma.transfer_to_foundation(uow, FM, made_on=date(2025, 11, 10))
    second = deposit(uow, member.id, "1000.05", 11)
    ma.reverse_deposit(uow, FM, second.id, reason="typed twice", on=date(2025, 11, 12))
    third = deposit(uow, member.id, "333333.33", 13)
    return Recorded(first.id, second.id, third.id, transfer.id, other.id)


def snapshot(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    with engine.connect() as conn:
        return {table: [tuple(str(v) for v in row) for row in conn.execute(
                    text(f"SELECT * FROM {table} ORDER BY {order}"))]
                for table, order in WATCHED.items()}


def refused(engine: Engine, statements: list[str], because: tuple[str, ...],
            **params: Any) -> None:
    """Each statement, in a transaction of its own, is refused by a rule whose message holds
    one of `because`; nothing changes."""
    before = snapshot(engine)
    accepted, reasons = [], []
    for sql in statements:
        try:
            with engine.begin() as conn:
                result = conn.execute(text(sql), params)
                assert result.rowcount != 0, f"matched no row: {sql}"  # -1: TRUNCATE
        except DBAPIError as error:
            message = str(error.orig).lower()
            if not any(word in message for word in because):
                reasons.append((sql, message))
            continue
        accepted.append(sql)
    assert accepted == [], "the database accepted these"
    assert reasons == [], "refused, but not by the rule expected"
    assert snapshot(engine) == before


DEPOSIT_RULES = ("mutual aid: a deposit's amounts", "ck_deposits_")
KEPT = ("mutual aid:", "ledger:")


def test_deposit_amounts_and_links_never_change(engine: Engine, recorded: Recorded) -> None:
    r = recorded
    refused(engine, [
        "UPDATE deposits SET operating = operating + 1 WHERE id = :plain",  # CHECK exact_split
        "UPDATE deposits SET foundation = foundation - 1 WHERE id = :plain",
        "UPDATE deposits SET operating = operating + 1, foundation = foundation - 1"
        " WHERE id = :plain",  # still adds up: the trigger refuses
        "UPDATE deposits SET amount = amount + 100, operating = operating + 100"
        " WHERE id = :plain",
        "UPDATE deposits SET amount = 1 WHERE id = :plain",
        "UPDATE deposits SET amount = 0, operating = 0, foundation = 0 WHERE id = :plain",
        "UPDATE deposits SET operating = amount, foundation = 0",
        "UPDATE deposits SET member_id = :other WHERE id = :plain",
        "UPDATE deposits SET entry_seq = entry_seq + 1000 WHERE id = :plain",
        "UPDATE deposits SET received_on = '2025-01-01' WHERE id = :plain",
        "UPDATE deposits SET transfer_id = NULL WHERE id = :transferred",
        "UPDATE deposits SET reversal_seq = NULL, reversal_reason = NULL WHERE id = :reversed",
        "UPDATE deposits SET reversal_reason = 'x' WHERE id = :plain",
        "UPDATE deposits SET method = 'paypal' WHERE id = :plain",
    ], DEPOSIT_RULES, plain=r.plain, other=r.other_member, transferred=r.transferred,
        reversed=r.reversed)


def test_deposits_are_never_deleted(engine: Engine, recorded: Recorded) -> None:
    refused(engine, ["DELETE FROM deposits WHERE id = :plain",
                     "DELETE FROM deposits WHERE id = :reversed",
                     "DELETE FROM deposits"],
            KEPT, plain=recorded.plain, reversed=recorded.reversed)


def test_policies_and_transfers_never_change(engine: Engine, recorded: Recorded) -> None:
    refused(engine, [
        "UPDATE split_policies SET operating_share_bp = 2500",
        "UPDATE split_policies SET remainder_rule = 'largest_remainder'",
        "UPDATE split_policies SET service_amount = service_amount * 2",
        "UPDATE split_policies SET effective_from = '2025-01-01'",
        "DELETE FROM split_policies",
        "UPDATE transfers SET amount = amount + 1",
        "UPDATE transfers SET made_on = '2025-01-01'",
        "UPDATE transfers SET created_by = 'someone else'",
        "DELETE FROM transfers WHERE id = :transfer",
    ], KEPT, transfer=recorded.transfer)


def test_an_insert_that_does_not_add_up_is_refused(engine: Engine, recorded: Recorded) -> None:
    refused(engine, [
        "INSERT INTO deposits (id, member_id, amount, operating, foundation, received_on,"
        " method, reference, policy_version, entry_seq, created_at, created_by)"
        " SELECT 99, member_id, amount, operating + 1, foundation, received_on, method,"
        " reference, policy_version, (SELECT fund_entry_seq FROM transfers), created_at,"
        " created_by FROM deposits WHERE id = :plain",  # an entry no deposit uses yet
    ], ("ck_deposits_exact_split",), plain=recorded.plain)


def test_the_rest_of_a_deposit_record_never_changes(engine: Engine, recorded: Recorded) -> None:
    refused(engine, [
        "UPDATE deposits SET reference = 'FORGED-1' WHERE id = :plain",
        "UPDATE deposits SET method = 'cash' WHERE id = :plain",
        "UPDATE deposits SET created_by = 'someone else' WHERE id = :plain",
        "UPDATE deposits SET reversal_reason = 'another story' WHERE id = :reversed",
    ], DEPOSIT_RULES, plain=recorded.plain, reversed=recorded.reversed)


def test_truncate_is_refused(pg_only: None, engine: Engine, recorded: Recorded) -> None:
    refused(engine, ["TRUNCATE deposits", "TRUNCATE deposits, transfers, split_policies"],
            KEPT)
