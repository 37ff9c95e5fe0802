"""What must hold after every step of the model-based test, read with raw SQL where the
service's own code must not be trusted: entries balance, postings sum to zero, balances rebuilt
from the postings equal the service's and the daily totals, and nothing written was changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, inspect, text

from ledger.core.chart import ENTITIES
from ledger.db import balances as balances_db
from ledger.db.session import UnitOfWork

#: Append-only tables, each ordered as it grows.
APPEND_ONLY = {"journal_entries": "seq", "postings": "entry_seq, line", "audit_log": "seq"}

#: Tables whose rows use cases change in place (statuses, links): a refusal leaves them as
#: they were too.
MUTABLE = {"deposits": "id", "bridging_services": "id", "grant_rounds": "id",
           "applications": "id", "grants": "id", "grant_tranches": "grant_id, number",
           "campaigns": "id", "campaign_households": "id"}

#: (entity, account, currency) -> (debits, credits) in minor units.
Totals = dict[tuple[str, str, str], tuple[int, int]]


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def unbalanced_entries(engine: Engine) -> list[tuple[object, ...]]:
    """Entries whose debits and credits differ in some currency, or with fewer than two
    postings."""
    return _rows(engine, """
        SELECT e.seq, p.currency, COALESCE(SUM(p.debit), 0) - COALESCE(SUM(p.credit), 0),
               COUNT(p.line)
        FROM journal_entries e LEFT JOIN postings p ON p.entry_seq = e.seq
        GROUP BY e.seq, p.currency
        HAVING COALESCE(SUM(p.debit), 0) <> COALESCE(SUM(p.credit), 0) OR COUNT(p.line) < 2""")


def entry_sources(engine: Engine) -> list[tuple[int, str | None]]:
    """(seq, source kind) of every entry."""
    return [(int(seq), None if kind is None else str(kind)) for seq, kind in _rows(
        engine, "SELECT seq, source_kind FROM journal_entries ORDER BY seq")]


def net_by_currency(engine: Engine) -> dict[str, int]:
    """Debits less credits of every posting, per currency: zero in double entry."""
    return {str(cur): int(net) for cur, net in _rows(
        engine, "SELECT currency, SUM(debit) - SUM(credit) FROM postings GROUP BY currency")}


def from_postings(engine: Engine) -> Totals:
    """Every account's totals summed from the postings themselves."""
    return {(str(e), str(a), str(c)): (int(d), int(cr)) for e, a, c, d, cr in _rows(engine, """
        SELECT a.entity, a.code, p.currency, SUM(p.debit), SUM(p.credit)
        FROM postings p JOIN accounts a ON a.id = p.account_id
        GROUP BY a.entity, a.code, p.currency""")}


def from_day_totals(engine: Engine) -> Totals:
    """The same, summed from the daily totals a trigger keeps."""
    return {(str(e), str(a), str(c)): (int(d), int(cr)) for e, a, c, d, cr in _rows(engine, """
        SELECT a.entity, a.code, t.currency, SUM(t.debit), SUM(t.credit)
        FROM account_day_totals t JOIN accounts a ON a.id = t.account_id
        GROUP BY a.entity, a.code, t.currency""") if (d, cr) != (0, 0)}


def from_service(uow: UnitOfWork) -> Totals:
    """The same, as the service reports them (ledger/db/balances.py)."""
    found: Totals = {}
    for entity in ENTITIES:
        tb = uow.read(lambda s, entity=entity: balances_db.trial_balance(s, entity, date.max))
        for line in tb.lines:
            if (line.debits, line.credits) != (0, 0):
                found[(entity, line.account.code, line.currency)] = (line.debits, line.credits)
    return found


_TABLES: dict[str, list[str]] = {}


def _tables(engine: Engine) -> list[str]:
    """Every table's name (read once per database: the schema does not change)."""
    key = engine.url.render_as_string(hide_password=True)
    if key not in _TABLES:
        with engine.connect() as conn:
            _TABLES[key] = sorted(inspect(conn).get_table_names())
    return _TABLES[key]


@dataclass(frozen=True)
class Snapshot:
    """The rows of the append-only tables (and of others if asked), by content, and the
    row count of every table."""

    rows: dict[str, list[tuple[str, ...]]]
    counts: dict[str, int]

    @classmethod
    def take(cls, engine: Engine, *, mutable: bool = False) -> Snapshot:
        """The append-only rows and the counts; with `mutable`, the rows of MUTABLE too."""
        kept = {**APPEND_ONLY, **(MUTABLE if mutable else {})}
        with engine.connect() as conn:
            counts = {str(t): int(n) for t, n in conn.execute(text(" UNION ALL ".join(
                f"SELECT '{t}', count(*) FROM \"{t}\"" for t in _tables(engine))))}
            rows = {t: [tuple(str(v) for v in row) for row in conn.execute(
                        text(f"SELECT * FROM {t} ORDER BY {order}"))]
                    for t, order in kept.items()}
        return cls(rows, counts)

    def changed_rows(self, later: Snapshot) -> list[str]:
        """The append-only tables whose earlier rows are not, by content, the first rows of
        `later`'s: a row was updated, deleted or inserted in between."""
        return [t for t in APPEND_ONLY
                if later.rows[t][:len(self.rows[t])] != self.rows[t]]
