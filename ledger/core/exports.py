"""The books in the journal syntax of the tools accountants trust: Ledger, hledger, Beancount,
and a CSV of postings. Pure: entries in, text out (`ledger/exports.py` streams the entries).

Account names, the same in the three journal formats:

    Assets:Fund:1002-银行存款        Income:Foundation:410103-捐赠收入-商会互助资金转入

- the root by account type: assets 1xxx -> `Assets`, liabilities 2xxx -> `Liabilities`, net
  assets 3101/3102 -> `Equity`, income 4xxx -> `Income`, expenses 5xxx -> `Expenses` (the roots
  Beancount requires and hledger recognises by name);
- then the entity (`Fund` / `Foundation`), unless the export holds one entity only; both
  books can then sit in one file and still balance separately;
- then the code and the title: with `names="zh"` the Chinese title (Beancount accepts
  Unicode letters after a component's first character, which is the code's first digit),
  with `names="en"` the English one in ASCII (`1002-BankDeposits`); either way only letters,
  digits and single dashes, so no double space (which ends an account name in Ledger and
  hledger), no tab, no `;`, no `:` and no brackets. The other title is kept as the
  account's metadata (Beancount) or note / tag (Ledger / hledger).

Each entry becomes a transaction dated with its effective date, its number as the code
(Ledger, hledger) or metadata (Beancount), its hash and source as metadata, and every posting
with an explicit amount in its currency (debits positive, credits negative). The memo:

- Beancount: the narration, exactly (a quoted string: backslash, quote, newline, CR, tab
  escaped);
- Ledger / hledger: a description line cannot hold a newline or a `;`, so the description is
  a readable one-line form (`；` for `;`, `↵` for line breaks, runs of spaces and control
  characters as one space) and the memo itself follows exactly in a `memo:` comment as a JSON
  string in which `[`, `]`, `:`, `;` and every control or format character are \\u-escaped,
  so that neither tool reads a date (`[2026-01-01]`, `date:`) or a tag out of it.
  `json.loads` gives the memo back.

CSV: one row per posting, UTF-8 with a byte-order mark (Excel then reads the Chinese right),
every text cell starting with = + - @, a tab or a carriage return prefixed with an apostrophe
(formula injection).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .chart import ENTITIES, Account, AccountType, chart_of
from .money import decimal_places


class Format(StrEnum):
    LEDGER = "ledger"
    HLEDGER = "hledger"
    BEANCOUNT = "beancount"
    CSV = "csv"

    @property
    def suffix(self) -> str:
        return {"ledger": ".ledger", "hledger": ".journal", "beancount": ".beancount",
                "csv": ".csv"}[self.value]


class Names(StrEnum):
    """Which title an account name carries after its code."""

    ZH = "zh"
    EN = "en"


ROOTS: dict[AccountType, str] = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.NET_ASSETS_UNRESTRICTED: "Equity",
    AccountType.NET_ASSETS_RESTRICTED: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}
#: hledger's account types (the `type:` tag of an account directive).
HLEDGER_TYPES: dict[str, str] = {"Assets": "A", "Liabilities": "L", "Equity": "E",
                                 "Income": "R", "Expenses": "X"}


@dataclass(frozen=True, slots=True)
class Line:
    """One posting to write: debit or credit in minor units (fen), exactly one positive."""

    account: Account
    currency: str
    debit: int
    credit: int
    memo: str = ""

    @property
    def amount(self) -> int:
        """Signed: debits positive, credits negative (how the tools keep balances)."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry to write, with its postings in line order."""

    seq: int
    entity: str
    effective_date: date
    memo: str
    hash: str
    lines: tuple[Line, ...]
    reverses: int | None = None
    source: str | None = None  # "kind/id"


# --- names ------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    """Runs of letters and decimal digits (any script); everything else separates them."""
    keep = "".join(c if unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Nd"
                   else " " for c in unicodedata.normalize("NFC", text))
    return keep.split()


def _ascii_camel(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(w[:1].upper() + w[1:] for w in _words(ascii_text))


def entity_component(entity: str) -> str:
    """`fund` -> `Fund`: an account-name component for the entity."""
    return _ascii_camel(entity) or "Entity"


def title(account: Account, names: Names) -> str:
    """The code and title as one name component: `1002-银行存款` / `1002-BankDeposits`."""
    code = "".join(c for c in account.code if c.isascii() and c.isalnum()) or "0"
    text = ("-".join(_words(account.name_zh)) if names is Names.ZH
            else _ascii_camel(account.name_en))
    return f"{code}-{text}" if text else code


def account_name(entity: str, account: Account, *, prefixed: bool,
                 names: Names = Names.ZH) -> str:
    """The account's full name in the journal formats (see the module's docstring)."""
    parts = [ROOTS[account.type]]
    if prefixed:
        parts.append(entity_component(entity))
    parts.append(title(account, names))
    return ":".join(parts)


# --- amounts and text -------------------------------------------------------------------------
def amount(units: int, currency: str) -> str:
    """Minor units as a plain decimal: 2209 -> '22.09', -10500000 -> '-105000.00'."""
    places = decimal_places(currency)
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """A readable single-line form for a Ledger / hledger description: line breaks as ' ↵ ',
    `;` as `；`, control and format characters and runs of spaces as one space."""
    text = _BREAKS.sub(" ↵ ", text).replace(";", "；")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Cs")
                   else c for c in text)
    return re.sub(r" {2,}", " ", text).strip()


def _tag_value(text: str) -> str:
    """An hledger tag's value ends at a comma: ', ' becomes ' - '."""
    return one_line(text).replace(",", " -")


_SPECIAL = frozenset('"\\[]:;')


def _u_escape(c: str) -> str:
    code = ord(c)
    if code > 0xFFFF:  # a surrogate pair, as JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def comment_string(text: str) -> str:
    """`text` as a JSON string safe inside a Ledger / hledger comment: json.loads reads it
    back; no `[`, `]`, `:`, `;`, control or format character appears raw."""
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in _SPECIAL or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co",
                                                          "Cn"):
            out.append(_u_escape(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


_BEAN_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def beancount_string(text: str) -> str:
    """A Beancount string literal: the parser gives `text` back exactly."""
    return '"' + "".join(_BEAN_ESCAPES.get(c, c) for c in text) + '"'


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell that a spreadsheet never runs as a formula: `=cmd()` -> `'=cmd()`. Text
    that already starts with apostrophes before a formula gets one more (`'=x` -> `''=x`),
    so that reading back takes exactly one off (ledger.core.bulk)."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


# --- writers ----------------------------------------------------------------------------------
def accounts_of(entity: str | None) -> list[tuple[str, Account]]:
    """(entity, account) of every account an export of `entity` (None: both) may use."""
    codes = [entity] if entity is not None else list(ENTITIES)
    return [(e, a) for e in codes for a in chart_of(e).values()]


class Writer:
    """Text for one export: `header()` once, `entries(batch)` for each batch, `footer()`."""

    format: Format

    def __init__(self, *, entity: str | None, names: Names = Names.ZH) -> None:
        self.entity = entity
        self.names = names
        self._names: dict[tuple[str, str], str] = {}

    def name(self, entity: str, account: Account) -> str:
        key = (entity, account.code)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = account_name(entity, account,
                                                    prefixed=self.entity is None,
                                                    names=self.names)
        return found

    def header(self, *, opened: date, to: date | None) -> str:
        raise NotImplementedError

    def entries(self, batch: Iterable[Entry]) -> str:
        raise NotImplementedError

    def footer(self) -> str:
        return ""

    def _scope(self, to: date | None) -> str:
        who = (ENTITIES[self.entity].name_en if self.entity is not None
               else " and ".join(e.name_en for e in ENTITIES.values()))
        return f"{who}, {'as of ' + to.isoformat() if to else 'all entries'}"


class LedgerWriter(Writer):
    """Ledger 3 (`ledger -f FILE --pedantic bal`): declared commodities, accounts and tags."""

    format = Format.LEDGER
    TAGS = ("entry", "hash", "memo", "reverses", "source")

    def header(self, *, opened: date, to: date | None) -> str:
        out = [f"; Huzhu books: {self._scope(to)}\n", "\ncommodity CNY\n    format 1000.00 CNY\n"]
        out += [f"tag {tag}\n" for tag in self.TAGS]
        out.append("\n")
        for entity, account in accounts_of(self.entity):
            out.append(f"account {self.name(entity, account)}\n"
                       f"    note {entity} {account.code} {one_line(account.name_zh)} / "
                       f"{one_line(account.name_en)}\n")
        return "".join(out)

    def _transaction(self, entry: Entry) -> list[str]:
        description = one_line(entry.memo) or f"#{entry.seq}"
        out = [f"\n{entry.effective_date.isoformat()} * ({entry.seq}) {description}\n",
               f"    ; entry: {entry.seq}\n", f"    ; hash: {entry.hash}\n",
               f"    ; memo: {comment_string(entry.memo)}\n"]
        if entry.reverses is not None:
            out.append(f"    ; reverses: {entry.reverses}\n")
        if entry.source is not None:
            out.append(f"    ; source: {comment_string(entry.source)}\n")
        for line in entry.lines:
            out.append(f"    {self.name(entry.entity, line.account)}  "
                       f"{amount(line.amount, line.currency)} {line.currency}\n")
            if line.memo:
                out.append(f"      ; memo: {comment_string(line.memo)}\n")
        return out

    def entries(self, batch: Iterable[Entry]) -> str:
        return "".join(part for entry in batch for part in self._transaction(entry))


class HledgerWriter(LedgerWriter):
    """hledger (`hledger -f FILE --strict bal`): accounts declared with their types."""

    format = Format.HLEDGER

    def header(self, *, opened: date, to: date | None) -> str:
        out = [f"; Huzhu books: {self._scope(to)}\n", "\ndecimal-mark .\n",
               "commodity 1000.00 CNY\n\n"]
        for entity, account in accounts_of(self.entity):
            name = self.name(entity, account)
            kind = HLEDGER_TYPES[name.split(":", 1)[0]]
            out.append(f"account {name}  ; type: {kind}, entity: {entity}, "
                       f"code: {account.code}, name_zh: {_tag_value(account.name_zh)}, "
                       f"name_en: {_tag_value(account.name_en)}\n")
        return "".join(out)


class BeancountWriter(Writer):
    """Beancount 3 (`bean-check FILE`): `open` for every account on or before its first use."""

    format = Format.BEANCOUNT

    def header(self, *, opened: date, to: date | None) -> str:
        out = [f"; Huzhu books: {self._scope(to)}\n",
               f"option \"title\" {beancount_string('Huzhu: ' + self._scope(to))}\n",
               'option "operating_currency" "CNY"\n\n']
        day = opened.isoformat()
        for entity, account in accounts_of(self.entity):
            out.append(f"{day} open {self.name(entity, account)} CNY\n"
                       f"  entity: {beancount_string(entity)}\n"
                       f"  code: {beancount_string(account.code)}\n"
                       f"  name_zh: {beancount_string(account.name_zh)}\n"
                       f"  name_en: {beancount_string(account.name_en)}\n")
        return "".join(out)

    def _transaction(self, entry: Entry) -> list[str]:
        out = [f"\n{entry.effective_date.isoformat()} * {beancount_string(entry.memo)}\n",
               f"  entry: {entry.seq}\n", f"  hash: {beancount_string(entry.hash)}\n"]
        if entry.reverses is not None:
            out.append(f"  reverses: {entry.reverses}\n")
        if entry.source is not None:
            out.append(f"  source: {beancount_string(entry.source)}\n")
        for line in entry.lines:
            out.append(f"  {self.name(entry.entity, line.account)}  "
                       f"{amount(line.amount, line.currency)} {line.currency}\n")
            if line.memo:
                out.append(f"    memo: {beancount_string(line.memo)}\n")
        return out

    def entries(self, batch: Iterable[Entry]) -> str:
        return "".join(part for entry in batch for part in self._transaction(entry))


CSV_COLUMNS = ("entry", "line", "date", "entity", "account_code", "account_name_zh",
               "account_name_en", "debit", "credit", "currency", "memo", "posting_memo", "hash")


class CsvWriter(Writer):
    """One row per posting (RFC 4180, CRLF), UTF-8 with a byte-order mark."""

    format = Format.CSV

    def _rows(self, rows: Iterable[Sequence[object]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue()

    def header(self, *, opened: date, to: date | None) -> str:
        return "\ufeff" + self._rows([CSV_COLUMNS])

    def entries(self, batch: Iterable[Entry]) -> str:
        return self._rows(
            (entry.seq, number, entry.effective_date.isoformat(), entry.entity,
             csv_cell(line.account.code), csv_cell(line.account.name_zh),
             csv_cell(line.account.name_en),
             amount(line.debit, line.currency) if line.debit else "",
             amount(line.credit, line.currency) if line.credit else "",
             line.currency, csv_cell(entry.memo), csv_cell(line.memo), entry.hash)
            for entry in batch for number, line in enumerate(entry.lines, start=1))


WRITERS: dict[Format, type[Writer]] = {
    Format.LEDGER: LedgerWriter, Format.HLEDGER: HledgerWriter,
    Format.BEANCOUNT: BeancountWriter, Format.CSV: CsvWriter,
}


def writer(fmt: Format | str, *, entity: str | None = None, names: Names | str = Names.ZH
           ) -> Writer:
    """The writer of a format, for one entity or (None) both."""
    return WRITERS[Format(fmt)](entity=entity, names=Names(names))
