"""ledger.core.chain: the canonical bytes of an entry and the hash link."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.chain import GENESIS, canonical, link, utc_stamp
from ledger.core.chart import chart_of
from ledger.core.entries import JournalEntry, Posting, SourceRef, check
from ledger.core.errors import InvalidEntry
from ledger.core.money import from_minor, parse_money

PROPERTY = settings(max_examples=200, deadline=None)

SEQ = 1
AT = datetime(2026, 11, 1, 2, 3, 4, 567890, tzinfo=UTC)
PREV = "ab" * 32
#: Bounds for generated time stamps (Hypothesis wants them naive).
EARLIEST = datetime(1971, 1, 1)  # noqa: DTZ001
LATEST = datetime(2200, 1, 1)  # noqa: DTZ001

BASE = JournalEntry(
    entity="fund",
    effective_date=date(2026, 11, 1),
    memo="互助资金存入：张三",
    actor="treasurer",
    postings=(
        Posting.debit("1002", parse_money("350000.00"), "存入"),
        Posting.credit("420101", parse_money("105000.00")),
        Posting.credit("2209", parse_money("245000.00")),
    ),
    source=SourceRef("deposit", "D-1"),
)

#: The exact bytes the chain hashes for BASE. Changing the canonical form breaks every
#: existing chain, so it must be a deliberate, migrated change; this pins it.
BASE_CANONICAL = (
    '{"actor":"treasurer","effective_date":"2026-11-01","entity":"fund",'
    '"memo":"互助资金存入：张三","postings":[[1,"1002","CNY",35000000,0,"存入"],'
    '[2,"420101","CNY",0,10500000,""],[3,"2209","CNY",0,24500000,""]],'
    '"recorded_at":"2026-11-01T02:03:04.567890Z","reverses":null,"seq":1,'
    '"source":["deposit","D-1"]}'
).encode()


def hash_of(entry: JournalEntry = BASE, *, seq: int = SEQ, recorded_at: datetime = AT,
            prev_hash: str = PREV) -> str:
    return link(entry, seq=seq, recorded_at=recorded_at, prev_hash=prev_hash)


def with_posting(i: int, **changes: object) -> JournalEntry:
    postings = list(BASE.postings)
    postings[i] = dataclasses.replace(postings[i], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(BASE, postings=tuple(postings))


# --- canonical() -------------------------------------------------------------------------------
def test_canonical_form_is_pinned() -> None:
    assert canonical(BASE, seq=SEQ, recorded_at=AT) == BASE_CANONICAL


def test_link_is_sha256_of_canonical_then_previous_hash() -> None:
    expected = hashlib.sha256(BASE_CANONICAL + PREV.encode("ascii")).hexdigest()
    assert hash_of() == expected
    assert len(expected) == 64
    assert GENESIS == "0" * 64
    assert hash_of(prev_hash=GENESIS) == hashlib.sha256(
        BASE_CANONICAL + GENESIS.encode()).hexdigest()


def test_canonical_is_compact_sorted_utf8_json() -> None:
    raw = canonical(BASE, seq=SEQ, recorded_at=AT)
    text = raw.decode("utf-8")  # strict: raises on invalid UTF-8
    body = json.loads(text)
    assert list(body) == sorted(body)
    for gap in (b", ", b": ", b"\n", b"\t", b" "):
        assert gap not in raw
    assert "互助资金存入：张三".encode() in raw
    assert "存入".encode() in raw
    assert b"\\u" not in raw
    assert body["postings"][0] == [1, "1002", "CNY", 35_000_000, 0, "存入"]


def test_canonical_is_deterministic() -> None:
    first = canonical(BASE, seq=SEQ, recorded_at=AT)
    rebuilt = JournalEntry(
        entity="fund",
        effective_date=date(2026, 11, 1),
        memo="互助资金存入：张三",
        actor="treasurer",
        postings=tuple(Posting(account=p.account, side=p.side, amount=p.amount, memo=p.memo)
                       for p in BASE.postings),
        source=SourceRef("deposit", "D-1"),
    )
    assert canonical(rebuilt, seq=SEQ, recorded_at=AT) == first
    assert canonical(BASE, seq=SEQ, recorded_at=AT) == first
    assert hash_of(rebuilt) == hash_of()


account_codes = st.sampled_from(sorted(chart_of("foundation")))


@st.composite
def entries(draw: st.DrawFn) -> JournalEntry:
    amounts = draw(st.lists(st.integers(min_value=1, max_value=10**13), min_size=1, max_size=5))
    currency = draw(st.sampled_from(["CNY", "USD", "JPY"]))
    text = st.text(max_size=30)
    postings = [Posting.debit(draw(account_codes), from_minor(n, currency), draw(text))
                for n in amounts]
    postings.append(Posting.credit(draw(account_codes), from_minor(sum(amounts), currency)))
    return JournalEntry(
        entity="foundation",
        effective_date=draw(st.dates()),
        memo=draw(text),
        actor=draw(text.filter(str.strip)),
        postings=tuple(postings),
        source=draw(st.none() | st.builds(SourceRef, text, text)),
        reverses=draw(st.none() | st.integers(min_value=1, max_value=10**12)),
    )


@PROPERTY
@given(e=entries(), seq=st.integers(min_value=1, max_value=2**63 - 1),
       at=st.datetimes(min_value=EARLIEST, max_value=LATEST,
                       timezones=st.just(UTC)))
def test_canonical_of_any_entry_is_compact_json_that_round_trips(
    e: JournalEntry, seq: int, at: datetime
) -> None:
    raw = canonical(e, seq=seq, recorded_at=at)
    assert canonical(e, seq=seq, recorded_at=at) == raw
    body = json.loads(raw.decode("utf-8"))
    assert json.dumps(body, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode() == raw
    assert body["seq"] == seq
    assert body["memo"] == e.memo
    assert body["actor"] == e.actor
    assert body["effective_date"] == e.effective_date.isoformat()
    assert body["reverses"] == e.reverses
    assert body["source"] == ([e.source.kind, e.source.id] if e.source else None)
    assert body["postings"] == [
        [i, p.account, p.currency, p.debit_minor, p.credit_minor, p.memo]
        for i, p in enumerate(e.postings, start=1)
    ]
    assert datetime.strptime(body["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC) == at


# --- link() changes with every field -----------------------------------------------------------
Variant = Callable[[], str]

VARIANTS: dict[str, Variant] = {
    "amount": lambda: hash_of(with_posting(1, amount=parse_money("105000.01"))),
    "amount by one fen on a balanced entry": lambda: hash_of(dataclasses.replace(
        BASE, postings=(
            Posting.debit("1002", parse_money("350000.01"), "存入"),
            Posting.credit("420101", parse_money("105000.01")),
            BASE.postings[2],
        ))),
    "currency": lambda: hash_of(with_posting(0, amount=parse_money("350000.00", "USD"))),
    "side": lambda: hash_of(with_posting(1, side=BASE.postings[1].side.opposite)),
    "account": lambda: hash_of(with_posting(0, account="1001")),
    "posting memo": lambda: hash_of(with_posting(0, memo="存入 ")),
    "posting memo added": lambda: hash_of(with_posting(2, memo="x")),
    "memo": lambda: hash_of(dataclasses.replace(BASE, memo="互助资金存入:张三")),
    "memo empty": lambda: hash_of(dataclasses.replace(BASE, memo="")),
    "actor": lambda: hash_of(dataclasses.replace(BASE, actor="treasurer2")),
    "memo/actor boundary": lambda: hash_of(dataclasses.replace(
        BASE, memo=BASE.memo + "t", actor="reasurer")),
    "effective date": lambda: hash_of(dataclasses.replace(BASE, effective_date=date(2026, 11, 2))),
    "entity": lambda: hash_of(dataclasses.replace(BASE, entity="foundation")),
    "seq": lambda: hash_of(seq=2),
    "recorded_at by one microsecond": lambda: hash_of(recorded_at=AT + timedelta(microseconds=1)),
    "prev_hash": lambda: hash_of(prev_hash=PREV[:-1] + "c"),
    "prev_hash genesis": lambda: hash_of(prev_hash=GENESIS),
    "source removed": lambda: hash_of(dataclasses.replace(BASE, source=None)),
    "source kind": lambda: hash_of(dataclasses.replace(BASE, source=SourceRef("grant", "D-1"))),
    "source id": lambda: hash_of(dataclasses.replace(BASE, source=SourceRef("deposit", "D-2"))),
    "reverses": lambda: hash_of(dataclasses.replace(BASE, reverses=1)),
    "posting order": lambda: hash_of(dataclasses.replace(
        BASE, postings=(BASE.postings[0], BASE.postings[2], BASE.postings[1]))),
    "posting dropped": lambda: hash_of(dataclasses.replace(BASE, postings=BASE.postings[:2])),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_link_changes_when_a_field_changes(name: str) -> None:
    assert VARIANTS[name]() != hash_of()


def test_every_variant_hashes_differently_from_every_other() -> None:
    hashes = [hash_of()] + [variant() for variant in VARIANTS.values()]
    assert len(set(hashes)) == len(hashes)


def test_changing_an_early_entry_changes_every_later_link() -> None:
    def chain(first: JournalEntry) -> list[str]:
        out = [GENESIS]
        for seq, e in enumerate([first, BASE, BASE], start=1):
            out.append(link(e, seq=seq, recorded_at=AT, prev_hash=out[-1]))
        return out[1:]

    original = chain(BASE)
    tampered = chain(dataclasses.replace(BASE, memo="changed"))
    assert all(a != b for a, b in zip(original, tampered, strict=True))


# --- time stamps -------------------------------------------------------------------------------
def test_naive_and_aware_utc_hash_the_same() -> None:
    naive = datetime(2026, 11, 1, 2, 3, 4, 567890)  # noqa: DTZ001 - naive on purpose
    assert canonical(BASE, seq=SEQ, recorded_at=naive) == canonical(BASE, seq=SEQ, recorded_at=AT)
    assert hash_of(recorded_at=naive) == hash_of()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 1, 10, 3, 4, 567890, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 11, 1, 10, 3, 4, 567890, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 10, 31, 22, 3, 4, 567890, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 11, 1, 2, 3, 4, 567890, tzinfo=timezone.utc),  # noqa: UP017
    ],
)
def test_the_same_instant_in_any_zone_hashes_the_same(moment: datetime) -> None:
    assert moment == AT
    assert utc_stamp(moment) == "2026-11-01T02:03:04.567890Z"
    assert hash_of(recorded_at=moment) == hash_of()


def test_local_wall_clock_time_is_not_mistaken_for_utc() -> None:
    shanghai = datetime(2026, 11, 1, 2, 3, 4, 567890, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert hash_of(recorded_at=shanghai) != hash_of()
    assert utc_stamp(shanghai) == "2026-10-31T18:03:04.567890Z"


@PROPERTY
@given(
    moment=st.datetimes(min_value=EARLIEST, max_value=LATEST,
                        timezones=st.timezones()),
)
def test_any_zone_hashes_as_its_utc_instant(moment: datetime) -> None:
    as_utc = moment.astimezone(UTC)
    naive_utc = as_utc.replace(tzinfo=None)
    assert utc_stamp(moment) == utc_stamp(as_utc) == utc_stamp(naive_utc)
    assert hash_of(recorded_at=moment) == hash_of(recorded_at=naive_utc)


def test_utc_stamp_always_has_microseconds() -> None:
    assert utc_stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"


# --- what check() accepts, the chain must be able to hash -------------------------------------
LONE_SURROGATE = "\ud800"


@pytest.mark.parametrize("where", ["memo", "actor", "posting memo", "source id"])
def test_text_that_cannot_be_hashed_is_refused(where: str) -> None:
    odd = f"a{LONE_SURROGATE}b"
    e = {
        "memo": lambda: dataclasses.replace(BASE, memo=odd),
        "actor": lambda: dataclasses.replace(BASE, actor=odd),
        "posting memo": lambda: with_posting(0, memo=odd),
        "source id": lambda: dataclasses.replace(BASE, source=SourceRef("deposit", odd)),
    }[where]()
    with pytest.raises(InvalidEntry, match="not valid Unicode text"):
        check(e, chart_of(e.entity))
