"""Minutes of a board resolution on a grant application (决议纪要), as a bilingual PDF."""

from __future__ import annotations

from ledger.db.session import UnitOfWork


def minutes_pdf(uow: UnitOfWork, application_id: int) -> bytes:
    """The minutes of every resolution on the application, as PDF bytes."""
    raise NotImplementedError  # being written
