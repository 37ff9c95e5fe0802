"""Create or migrate a database: Alembic migrations, then the reference data (entities, charts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.core.chart import CHARTS, ENTITIES
from ledger.core.entries import EARLIEST_DATE

from .models import AccountRow, EntityRow, SplitPolicyRow

#: Version 1 of the split policy (seed 000): 30 % operating, 70 % to the foundation, odd fen to
#: the foundation; 5,000,000.00 of bridging service for every 350,000.00 deposited.
DEFAULT_POLICY = {"version": 1, "effective_from": EARLIEST_DATE, "operating_share_bp": 3000,
                  "remainder_rule": "foundation", "service_amount": 500_000_000,
                  "per_deposit": 35_000_000}

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` and the charts of accounts up to date, atomically."""
    config = alembic_config(engine)
    with engine.execution_options(huzhu_write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        with Session(bind=connection) as session:
            sync_reference_data(session)
            session.flush()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def sync_reference_data(session: Session) -> None:
    """Insert missing entities and accounts from the core's charts (refreshing their names),
    and the first split policy if there is none.

    An account's code, entity and type never change once it exists (the database refuses it);
    a chart that disagrees on type is a programming error and stops the upgrade.
    """
    entities = {row.code: row for row in session.scalars(select(EntityRow))}
    for entity in ENTITIES.values():
        row = entities.get(entity.code)
        if row is None:
            session.add(EntityRow(code=entity.code, kind=entity.kind.value,
                                  name_zh=entity.name_zh, name_en=entity.name_en))
        else:
            row.name_zh, row.name_en = entity.name_zh, entity.name_en
    session.flush()
    accounts = {(row.entity, row.code): row for row in session.scalars(select(AccountRow))}
    for entity in ENTITIES.values():
        for account in CHARTS[entity.kind]:
            row = accounts.get((entity.code, account.code))
            if row is None:
                session.add(AccountRow(
                    entity=entity.code, code=account.code, name_zh=account.name_zh,
                    name_en=account.name_en, type=account.type.value,
                    restricted=account.restricted))
            elif row.type != account.type.value or row.restricted != account.restricted:
                raise RuntimeError(
                    f"account {entity.code}:{account.code} is a {row.type} in the database "
                    f"but a {account.type.value} in the chart; add a new account instead")
            else:
                row.name_zh, row.name_en = account.name_zh, account.name_en
    if session.scalar(select(SplitPolicyRow.version).limit(1)) is None:
        session.add(SplitPolicyRow(**DEFAULT_POLICY, created_at=datetime.now(UTC),
                                   created_by="system"))
