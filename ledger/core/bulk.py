"""Files of journal entries to import in bulk: JSON Lines, or the CSV `ledger export` writes.

Pure: text in, drafted entries (and every problem, with its line number) out.

JSON Lines: one entry per line, blank lines ignored::

    {"entity": "fund", "effective_date": "2026-11-01", "memo": "永耀纺织 互助资金",
     "source": {"kind": "import", "id": "2026-11-01/1"},
     "postings": [{"account": "1002", "debit": "350000.00"},
                  {"account": "420101", "credit": "105000.00", "currency": "CNY", "memo": ""},
                  {"account": "2209", "credit": "245000.00"}]}

(on one line). Amounts are decimal strings with at most the currency's decimals; a JSON number
(`1000`, `1e3`, `22.5`) is refused, as a float cannot hold fen exactly. `memo`, `source`,
`currency` (CNY) and a posting's `memo` are optional; other keys are refused.

CSV: the columns of `ledger export --format csv` (one row per posting, rows of one entry
together, its number in `entry`); the apostrophe the export puts before a cell starting with
= + - @ is taken off again. The entry numbers and hashes of the file are not kept: the books
number and chain the entries anew.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .chart import ENTITIES, Account, Side, chart_of
from .entries import JournalEntry, Posting, SourceRef, problems
from .errors import InvalidEntry, InvalidInput
from .exports import CSV_COLUMNS, FORMULA_STARTS
from .money import DEFAULT_CURRENCY, parse_money

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ENTRY_KEYS = frozenset({"entity", "effective_date", "memo", "source", "postings"})
POSTING_KEYS = frozenset({"account", "debit", "credit", "currency", "memo"})
#: How many problems an error message spells out (all of them are in `problems`).
SHOWN = 20


@dataclass(frozen=True, slots=True)
class EntryProblem:
    """A rule an entry of a batch breaks: `number` is its line in a file (from 1) or its
    index in a request's `entries` (from 0), as `InvalidBatch.label` says."""

    number: int
    message: str
    field: str | None = None


class InvalidBatch(InvalidEntry):
    """Entries of a batch break rules: none of the batch was written. `invalid_entries` lists
    every problem with the entry's line (files) or index (requests)."""

    code = "invalid-batch"
    title = "Entries of the batch are not acceptable"

    def __init__(self, found: Sequence[EntryProblem], *, label: str = "line") -> None:
        self.problems = list(found)
        self.label = label
        entries = len({p.number for p in self.problems})
        shown = "; ".join(f"{label} {p.number}: {p.message}" for p in self.problems[:SHOWN])
        more = len(self.problems) - SHOWN
        super().__init__(
            f"{entries} {'entry breaks' if entries == 1 else 'entries break'} the rules; "
            f"nothing was written: {shown}" + (f"; and {more} more" if more > 0 else ""))

    def extensions(self) -> dict[str, object]:
        return {"invalid_entries": [{self.label: p.number, "field": p.field,
                                     "message": p.message} for p in self.problems]}


@dataclass(slots=True)
class Parsed:
    """The entries read from a file, the line each started on, and every problem found."""

    entries: list[JournalEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[EntryProblem] = field(default_factory=list)


def _text(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise InvalidInput(f"{key} is required", field=key)
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string, not {type(value).__name__}", field=key)
    return value


def _date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidInput(f"effective_date must be a date such as \"2026-11-01\", not "
                           f"{value!r}", field="effective_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"effective_date {value!r} is not a date of the calendar",
                           field="effective_date") from None


def _entity(value: object) -> str:
    if not isinstance(value, str) or value not in ENTITIES:
        raise InvalidInput(f"entity must be one of {', '.join(ENTITIES)}, not {value!r}",
                           field="entity")
    return value


def _posting(data: object, i: int) -> Posting:
    where = f"postings[{i}]"
    if not isinstance(data, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = sorted(set(data) - POSTING_KEYS)
    if unknown:
        raise InvalidInput(f"{where}: unknown key {', '.join(unknown)}", field=where)
    if ("debit" in data) == ("credit" in data):
        raise InvalidInput(f"{where}: give exactly one of debit or credit", field=where)
    side = Side.DEBIT if "debit" in data else Side.CREDIT
    value = data[side.value]
    if not isinstance(value, str):
        raise InvalidInput(
            f"{where}.{side.value} must be a decimal string such as \"350000.00\", not a "
            f"JSON {type(value).__name__} ({value!r})", field=f"{where}.{side.value}")
    try:
        account = _text(data, "account")
        currency = _text(data, "currency", DEFAULT_CURRENCY)
        memo = _text(data, "memo", "")
        amount = parse_money(value, currency)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error.message}",
                           field=f"{where}.{error.field or side.value}") from None
    return Posting(account=account, side=side, amount=amount, memo=memo)


def entry_from_json(data: object, *, actor: str) -> JournalEntry:
    """An entry from its JSON object; InvalidInput naming the first thing wrong."""
    if not isinstance(data, dict):
        raise InvalidInput("a line must hold one JSON object (an entry)")
    unknown = sorted(set(data) - ENTRY_KEYS)
    if unknown:
        raise InvalidInput(f"unknown key {', '.join(unknown)}", field=unknown[0])
    source = data.get("source")
    if source is not None:
        if not isinstance(source, dict) or set(source) != {"kind", "id"}:
            raise InvalidInput('source must be {"kind": ..., "id": ...}', field="source")
        source = SourceRef(_text(source, "kind"), _text(source, "id"))
    postings = data.get("postings")
    if not isinstance(postings, list):
        raise InvalidInput("postings must be a list of postings", field="postings")
    return JournalEntry(
        entity=_entity(data.get("entity")), effective_date=_date(data.get("effective_date")),
        memo=_text(data, "memo", ""), actor=actor, source=source,
        postings=tuple(_posting(p, i) for i, p in enumerate(postings)))


def _strict_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def read_jsonl(lines: Iterable[str | bytes], *, actor: str, check: bool = True) -> Parsed:
    """Every entry of a JSON Lines file, and every line's problems: parsing and, if `check`,
    the rules of `entries.problems` against the entity's chart."""
    parsed = Parsed()
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                parsed.problems.append(EntryProblem(number, "not UTF-8 text"))
                continue
        elif number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_constant=_strict_constant)
        except (ValueError, RecursionError) as error:
            parsed.problems.append(EntryProblem(number, f"not valid JSON: {error}"))
            continue
        _add(parsed, number, lambda data=data: entry_from_json(data, actor=actor), check)
    return parsed


def _add(parsed: Parsed, number: int, make: Any, check: bool) -> None:
    try:
        entry = make()
    except InvalidInput as error:
        parsed.problems.append(EntryProblem(number, error.message, error.field))
        return
    found = rule_problems(entry, number) if check else []
    if found:
        parsed.problems.extend(found)
        return
    parsed.entries.append(entry)
    parsed.lines.append(number)


_CHARTS: dict[str, dict[str, Account]] = {}


def chart(entity: str) -> dict[str, Account]:
    """An entity's chart, built once (chart_of builds a new dict each call)."""
    found = _CHARTS.get(entity)
    if found is None:
        found = _CHARTS[entity] = chart_of(entity)
    return found


def rule_problems(entry: JournalEntry, number: int) -> list[EntryProblem]:
    """The double-entry rules the entry breaks against its entity's chart."""
    return [EntryProblem(number, p.message, p.field) for p in problems(entry, chart(entry.entity))]


# --- the export's CSV -------------------------------------------------------------------------
def _uncell(text: str) -> str:
    """Undo `exports.csv_cell`: "'=x" -> "=x", "''=x" -> "'=x"."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is not None and header[:1] and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if header is None or tuple(header) != CSV_COLUMNS:
        yield 1, None, f"the first row must be the export's header: {','.join(CSV_COLUMNS)}"
        return
    for row in reader:
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            yield reader.line_num, None, (f"a row has {len(CSV_COLUMNS)} cells, this one "
                                          f"{len(row)}")
            continue
        yield reader.line_num, dict(zip(CSV_COLUMNS, row, strict=True)), None


def read_csv(lines: Iterable[str], *, actor: str, check: bool = True) -> Parsed:
    """Every entry of a CSV of postings as `ledger export --format csv` writes it (rows with
    the same `entry` form one entry, numbered by the line of its first row)."""
    parsed = Parsed()
    group: list[tuple[int, dict[str, str]]] = []

    def flush() -> None:
        if group:
            start, rows = group[0][0], [row for _, row in group]
            _add(parsed, start, lambda: _entry_from_rows(rows, actor=actor), check)
            group.clear()

    for number, row, problem in _rows(lines):
        if row is None:
            parsed.problems.append(EntryProblem(number, problem or "bad row"))
            continue
        if group and group[0][1]["entry"] != row["entry"]:
            flush()
        group.append((number, row))
    flush()
    return parsed


def _entry_from_rows(rows: list[dict[str, str]], *, actor: str) -> JournalEntry:
    first = rows[0]
    for name in ("date", "entity", "memo"):
        if any(row[name] != first[name] for row in rows):
            raise InvalidInput(f"the rows of entry {first['entry']} differ in {name}", field=name)
    postings = []
    for i, row in enumerate(rows):
        debit, credit = row["debit"], row["credit"]
        side = {k: v for k, v in (("debit", debit), ("credit", credit)) if v}
        posting = {"account": _uncell(row["account_code"]), "currency": row["currency"],
                   "memo": _uncell(row["posting_memo"]), **side}
        postings.append(_posting(posting, i))
    return JournalEntry(entity=_entity(first["entity"]), effective_date=_date(first["date"]),
                        memo=_uncell(first["memo"]), actor=actor, postings=tuple(postings))


def read(lines: Iterable[str | bytes], *, actor: str, fmt: str, check: bool = True) -> Parsed:
    """Read a file of entries: `fmt` is "jsonl" or "csv" (text lines, newline kept)."""
    if fmt == "jsonl":
        return read_jsonl(lines, actor=actor, check=check)
    if fmt == "csv":
        return read_csv((line.decode("utf-8") if isinstance(line, bytes) else line
                         for line in lines), actor=actor, check=check)
    raise InvalidInput(f"unknown format {fmt!r}: jsonl or csv", field="format")


def entry_to_json(entry: JournalEntry) -> dict[str, Any]:
    """The JSON Lines form of an entry (what `read_jsonl` reads)."""
    return {
        "entity": entry.entity, "effective_date": entry.effective_date.isoformat(),
        "memo": entry.memo,
        **({"source": {"kind": entry.source.kind, "id": entry.source.id}}
           if entry.source else {}),
        "postings": [{"account": p.account, p.side.value: str(p.amount.amount),
                      "currency": p.currency, **({"memo": p.memo} if p.memo else {})}
                     for p in entry.postings],
    }
