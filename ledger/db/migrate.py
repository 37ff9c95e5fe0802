"""Create or migrate a database: Alembic migrations, then the reference data (entities, charts)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.core.chart import CHARTS, ENTITIES

from .models import AccountRow, EntityRow

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
    """Insert missing entities and accounts from the core's charts; refresh their names.

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
