"""Queries of repair campaigns: the sums that make a campaign's figures, and the roll."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.core.campaigns import Figures
from ledger.core.money import from_minor

from .models import (
    CampaignPaymentRow,
    CampaignRefundRow,
    CampaignRow,
    ContractorPaymentRow,
    HouseholdRow,
    LeftoverReleaseRow,
    ShortfallRow,
    SubsidyReceiptRow,
)


@dataclass(frozen=True, slots=True)
class Sums:
    """A campaign's money records summed, in fen."""

    subsidy_received: int = 0
    subsidy_returned: int = 0
    households_paid: int = 0
    households_refunded: int = 0
    spent: int = 0
    spent_restricted: int = 0
    leftover_released: int = 0
    shortfall: int = 0  # shares of households not asked to pay
    subsidy_assigned: int = 0
    foundation_assigned: int = 0
    households_assigned: int = 0


def figures_of(row: CampaignRow, sums: Sums) -> Figures:
    """A campaign's figures (see `ledger.core.campaigns.Figures`) from its sums."""
    return Figures(
        cost=from_minor(row.cost),
        subsidy=from_minor(row.subsidy + sums.subsidy_assigned),
        match=from_minor(row.match + sums.foundation_assigned),
        gap=from_minor(row.cost - row.subsidy - row.match + sums.households_assigned),
        subsidy_received=from_minor(sums.subsidy_received - sums.subsidy_returned),
        households_paid=from_minor(sums.households_paid - sums.households_refunded),
        spent=from_minor(sums.spent), spent_restricted=from_minor(sums.spent_restricted),
        leftover_released=from_minor(sums.leftover_released),
        shortfall=from_minor(sums.shortfall),
        assigned=from_minor(sums.subsidy_assigned + sums.foundation_assigned
                            + sums.households_assigned))


def _by_campaign(session: Session, column: object, model: type, ids: Iterable[int] | None,
                 *where: object) -> dict[int, int]:
    query = select(model.campaign_id, func.sum(column)).where(*where)  # type: ignore[attr-defined]
    if ids is not None:
        query = query.where(model.campaign_id.in_(list(ids)))  # type: ignore[attr-defined]
    return {cid: int(total) for cid, total in
            session.execute(query.group_by(model.campaign_id))}  # type: ignore[attr-defined]


def sums(session: Session, ids: Iterable[int] | None = None) -> dict[int, Sums]:
    """The sums of every campaign (or of those in `ids`)."""
    ids = list(ids) if ids is not None else None
    parts = {
        "subsidy_received": _by_campaign(session, SubsidyReceiptRow.amount, SubsidyReceiptRow,
                                         ids),
        "subsidy_returned": _by_campaign(session, CampaignRefundRow.amount, CampaignRefundRow,
                                         ids, CampaignRefundRow.subsidy_id.is_not(None)),
        "households_paid": _by_campaign(session, CampaignPaymentRow.amount, CampaignPaymentRow,
                                        ids),
        "households_refunded": _by_campaign(session, CampaignRefundRow.amount,
                                            CampaignRefundRow, ids,
                                            CampaignRefundRow.payment_id.is_not(None)),
        "spent": _by_campaign(session, ContractorPaymentRow.amount, ContractorPaymentRow, ids),
        "spent_restricted": _by_campaign(session, ContractorPaymentRow.restricted,
                                         ContractorPaymentRow, ids),
        "leftover_released": _by_campaign(session, LeftoverReleaseRow.amount,
                                          LeftoverReleaseRow, ids),
        "shortfall": _by_campaign(session, HouseholdRow.share, HouseholdRow, ids,
                                  HouseholdRow.status != "asked"),
    }
    for source in ("subsidy", "foundation", "households"):
        parts[f"{source}_assigned"] = _by_campaign(session, ShortfallRow.amount, ShortfallRow,
                                                   ids, ShortfallRow.source == source)
    found = {cid for part in parts.values() for cid in part}
    return {cid: Sums(**{name: part.get(cid, 0) for name, part in parts.items()})
            for cid in found}


def paid_by_household(session: Session, campaign_id: int) -> dict[int, int]:
    """Fen each household paid, net of refunds."""
    paid = {household_id: int(total) for household_id, total in session.execute(
        select(CampaignPaymentRow.household_id, func.sum(CampaignPaymentRow.amount))
        .where(CampaignPaymentRow.campaign_id == campaign_id)
        .group_by(CampaignPaymentRow.household_id))}
    for household_id, refunded in session.execute(
            select(CampaignPaymentRow.household_id, func.sum(CampaignRefundRow.amount))
            .join(CampaignRefundRow, CampaignRefundRow.payment_id == CampaignPaymentRow.id)
            .where(CampaignPaymentRow.campaign_id == campaign_id)
            .group_by(CampaignPaymentRow.household_id)):
        paid[household_id] -= int(refunded)
    return paid


def refunded_by_payment(session: Session, campaign_id: int) -> dict[int, int]:
    return {pid: int(total) for pid, total in session.execute(
        select(CampaignRefundRow.payment_id, func.sum(CampaignRefundRow.amount))
        .where(CampaignRefundRow.campaign_id == campaign_id,
               CampaignRefundRow.payment_id.is_not(None))
        .group_by(CampaignRefundRow.payment_id))}


def returned_by_subsidy(session: Session, campaign_id: int) -> dict[int, int]:
    return {sid: int(total) for sid, total in session.execute(
        select(CampaignRefundRow.subsidy_id, func.sum(CampaignRefundRow.amount))
        .where(CampaignRefundRow.campaign_id == campaign_id,
               CampaignRefundRow.subsidy_id.is_not(None))
        .group_by(CampaignRefundRow.subsidy_id))}


def roll(session: Session, campaign_id: int) -> list[HouseholdRow]:
    return list(session.scalars(select(HouseholdRow).where(HouseholdRow.campaign_id ==
                                                           campaign_id)
                                .order_by(HouseholdRow.position)))


def references(session: Session, campaign_id: int) -> set[str]:
    return set(session.scalars(select(CampaignPaymentRow.reference)
                               .where(CampaignPaymentRow.campaign_id == campaign_id)))


def payments(session: Session, campaign_id: int) -> list[CampaignPaymentRow]:
    return list(session.scalars(select(CampaignPaymentRow)
                                .where(CampaignPaymentRow.campaign_id == campaign_id)
                                .order_by(CampaignPaymentRow.id)))


def subsidies(session: Session, campaign_id: int) -> list[SubsidyReceiptRow]:
    return list(session.scalars(select(SubsidyReceiptRow)
                                .where(SubsidyReceiptRow.campaign_id == campaign_id)
                                .order_by(SubsidyReceiptRow.id)))


def next_id(session: Session, model: type) -> int:
    """The id the next row will take. Only safe while holding the books' write lock."""
    return (session.scalar(select(func.max(model.id))) or 0) + 1  # type: ignore[attr-defined]
