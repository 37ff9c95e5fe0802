"""The minutes of a board resolution (决议纪要): a round set up and decided through the use
cases, the PDF read back with poppler's pdftotext and pdffonts."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from moneyed import Money

from ledger import staff
from ledger.applications import ApplicationNotFound, submit_application
from ledger.core.grants import (
    BudgetLine,
    Choice,
    Criterion,
    IncomeSource,
    Majority,
    Registration,
    Tranche,
)
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork
from ledger.foundation import record_income
from ledger.grantees import register_grantee
from ledger.reviews import declare, record_assembly_vote, resolve, score, vote
from ledger.rounds import create_round, open_round, start_review
from reports.minutes import minutes_pdf
from tests.conftest import ARTIFACTS, PASSWORD

#: Board members who review: username -> display name. 王芳 declares a conflict.
BOARD = {"wangfang": "王芳", "lilei": "李雷", "zhaomin": "赵敏", "chenjing": "陈静"}
CRITERIA = [Criterion("社区需求 Need", 40), Criterion("可行性 Feasibility", 35),
            Criterion("预算合理性 Budget", 25)]
REQUESTED = Money("1234567.89", "CNY")
CONFLICT_NOTE = "申请单位理事长系本人配偶 (spouse chairs the applicant)"


@dataclass
class Setting:
    application_id: int
    reviewers: dict[str, Actor]
    manager: Actor


def _rmb(amount: str) -> Money:
    return Money(amount, "CNY")


def _setting(uow: UnitOfWork, *, quorum: int = 3, majority: Majority = Majority.SIMPLE,
             assembly_required: bool = False) -> Setting:
    """Income, a grantee, a round reviewed by BOARD, one application, and the round in review."""
    system = Actor.system("test-setup")
    manager = staff.create_user(uow, system, username="fm1", display_name="FM1",
                                password=PASSWORD, roles=["fund_manager"]).actor()
    reviewers = {name: staff.create_user(uow, system, username=name, display_name=shown,
                                         password=PASSWORD, roles=["board_member"]).actor()
                 for name, shown in BOARD.items()}
    record_income(uow, manager, source=IncomeSource.WELFARE_LOTTERY, donor="嘉兴市福利彩票中心",
                  amount=_rmb("3000000.00"), received_on=date(2024, 1, 5))
    applicant = register_grantee(
        uow, manager, name_zh="嘉兴市南湖区邻里互助服务中心",
        name_en="Nanhu Neighbourhood Mutual Help Centre", credit_code="52330402MJ0000000A",
        registration=Registration.REGISTERED, contact_name="周丽", contact_phone="0573-1",
        bank_name="嘉兴银行", bank_account="6200000001")
    found = create_round(
        uow, manager, title="2024年社区公益创投", description="社区养老与邻里互助",
        eligibility="在南湖区登记或备案的社会组织", budget=_rmb("2000000.00"),
        opens_on=date(2024, 3, 1), closes_on=date(2024, 3, 31), quorum=quorum,
        majority=majority, criteria=CRITERIA, reviewers=list(BOARD),
        assembly_required=assembly_required)
    open_round(uow, manager, found.id)
    application = submit_application(
        uow, manager, round_id=found.id, grantee_id=applicant.id, title="老年人助餐点",
        need="社区独居老人的午餐", requested=REQUESTED,
        budget=[BudgetLine("厨房设备", _rmb("234567.89")), BudgetLine("餐费补贴",
                                                                      _rmb("1000000.00"))],
        tranches=[Tranche(1, date(2024, 5, 1), _rmb("1000000.00")),
                  Tranche(2, date(2024, 12, 1), _rmb("234567.89"))],
        submitted_on=date(2024, 3, 10))
    start_review(uow, manager, found.id)
    return Setting(application.id, reviewers, manager)


def _declare_and_score(uow: UnitOfWork, s: Setting) -> None:
    """王芳 is recused; the other three declare no conflict and two of them score."""
    r = s.reviewers
    declare(uow, r["wangfang"], s.application_id, conflicted=True, note=CONFLICT_NOTE)
    for name in ("lilei", "zhaomin", "chenjing"):
        declare(uow, r[name], s.application_id, conflicted=False)
    score(uow, r["lilei"], s.application_id,
          {"社区需求 Need": 90, "可行性 Feasibility": 80, "预算合理性 Budget": 70})
    score(uow, r["zhaomin"], s.application_id,
          {"社区需求 Need": 85, "可行性 Feasibility": 75, "预算合理性 Budget": 65})


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian's poppler-utils) is needed: make test installs it")
    return path


def _read(pdf: bytes, tmp_path: Path, name: str = "minutes.pdf") -> tuple[Path, str]:
    """The PDF written out, and its text with all whitespace removed (table cells wrap)."""
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run([_tool("pdftotext"), "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return path, _flat(text)


def _flat(text: str) -> str:
    return "".join(text.split())


def _assert_shows(text: str, *expected: str) -> None:
    for item in expected:
        assert _flat(item) in text, item


def _assert_cjk_embedded(path: Path) -> None:
    fonts = subprocess.run([_tool("pdffonts"), str(path)], check=True, capture_output=True,
                           text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes " in line for line in cjk), fonts  # embedded and subset


def _page_image(path: Path, name: str) -> None:
    out = ARTIFACTS / "minutes"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("pdftoppm"), "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(out / name)], check=True)
    assert (out / f"{name}.png").stat().st_size > 10_000


def test_minutes_of_a_resolution_passed_after_one_without_quorum(
        uow: UnitOfWork, backend: str, tmp_path: Path) -> None:
    s = _setting(uow)
    r = s.reviewers
    _declare_and_score(uow, s)
    vote(uow, r["lilei"], s.application_id, Choice.FOR)
    first = resolve(uow, r["lilei"], s.application_id, on=date(2024, 4, 10))
    assert first.reason == "no_quorum"
    vote(uow, r["zhaomin"], s.application_id, Choice.FOR)
    vote(uow, r["chenjing"], s.application_id, Choice.AGAINST)
    second = resolve(uow, r["zhaomin"], s.application_id, on=date(2024, 4, 12))
    assert second.passed
    assert second.grant_id is not None

    path, text = _read(minutes_pdf(uow, s.application_id), tmp_path)
    _assert_shows(
        text, "决议纪要", "Minutes of the board resolution",
        "社区发展基金会", "Community Development Foundation",
        # the round: budget, quorum and majority rule
        "2024年社区公益创投", "¥ 2,000,000.00", "3 名未回避委员投票（评审委员共 4 名）",
        "简单多数", "Simple majority",
        # the application: applicant with credit code, amount in figures and capital numerals
        "老年人助餐点", "嘉兴市南湖区邻里互助服务中心", "Nanhu Neighbourhood Mutual Help Centre",
        "52330402MJ0000000A", "¥ 1,234,567.89", "人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
        "已批准 · Approved",
        # reviewers present, and the recusal by name with its note, not counted
        "Reviewers present: 4 of 4", "李雷（lilei）", "赵敏（zhaomin）", "陈静（chenjing）",
        "王芳（wangfang） 申报利益冲突，回避 · declared a conflict of interest and is recused",
        CONFLICT_NOTE, "不计入法定人数和表决", "not counted in the quorum or the vote",
        # scores per criterion (with weights) and weighted, and their mean
        "社区需求 Need (40 %)", "可行性 Feasibility (35 %)", "预算合理性 Budget (25 %)",
        "李雷（lilei） 90 80 70 81.50", "赵敏（zhaomin） 85 75 65 76.50",
        "平均加权得分 Mean weighted score 79.00",
        # the vote count now, and quorum met
        "赞成 For 反对 Against 弃权 Abstain 投票合计 Votes cast 回避（不计入）Recused (not counted)"
        " 2 1 0 3 1", "法定人数 Quorum 3：已达到 met",
        "本轮不要求，未表决 · Not required in this round",
        # each resolution: date, its own count, quorum, outcome in both languages, decided by
        "第 1 号决议 · Resolution 1 · 2024-04-10",
        "赞成 For 1 · 反对 Against 0 · 弃权 Abstain 0 · 回避（不计入）Recused (not counted) 1",
        "1 / 3：未达到 not met", "未达法定人数，不作决定 · No quorum: no decision",
        "第 2 号决议 · Resolution 2 · 2024-04-12",
        "赞成 For 2 · 反对 Against 1 · 弃权 Abstain 0 · 回避（不计入）Recused (not counted) 1",
        "3 / 3：已达到 met", "通过，予以资助 · Passed: the grant is committed",
        "决定人 Decided by 赵敏（zhaomin）",
        # the grant committed
        f"资助编号 Grant number #{second.grant_id}", "承诺日期 Committed on 2024-04-12",
        "资助金额（小写）Amount (CNY) ¥ 1,234,567.89",
        "资助金额（大写）Amount in words 人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分")
    # The recused member neither scored nor voted: shown as recused, with no score.
    _assert_shows(text, "王芳（wangfang） 有利益冲突，回避 Conflict: recused — 回避 · Recused")
    assert "尚未作出决议" not in text
    _assert_cjk_embedded(path)
    if backend == "sqlite":  # one page image for people to look at
        _page_image(path, "minutes-passed")


def test_minutes_before_any_resolution_say_so(uow: UnitOfWork, backend: str,
                                              tmp_path: Path) -> None:
    s = _setting(uow)
    declare(uow, s.reviewers["wangfang"], s.application_id, conflicted=True, note=CONFLICT_NOTE)
    declare(uow, s.reviewers["lilei"], s.application_id, conflicted=False)
    vote(uow, s.reviewers["lilei"], s.application_id, Choice.ABSTAIN)

    path, text = _read(minutes_pdf(uow, s.application_id), tmp_path)
    _assert_shows(
        text, "尚未作出决议 No resolution yet", "待决 · Pending",
        "Reviewers present: 2 of 4", "王芳（wangfang）", CONFLICT_NOTE,
        "陈静（chenjing） 未申报（未出席）Not declared (absent) — — · —",
        "尚无评分 · No scores yet", " 0 0 1 1 1", "法定人数 Quorum 3：未达到 not met",
        "人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分")
    for absent in ("第 1 号决议", "Resolution 1", "资助承诺", "Grant committed"):
        assert _flat(absent) not in text, absent
    _assert_cjk_embedded(path)
    if backend == "sqlite":
        _page_image(path, "minutes-undecided")


def test_minutes_with_the_residents_assembly(uow: UnitOfWork, tmp_path: Path) -> None:
    """Two-thirds majority met by the board, the assembly first missing, then against."""
    s = _setting(uow, quorum=2, majority=Majority.TWO_THIRDS, assembly_required=True)
    r = s.reviewers
    declare(uow, r["wangfang"], s.application_id, conflicted=True, note=CONFLICT_NOTE)
    for name, choice in (("lilei", Choice.FOR), ("zhaomin", Choice.FOR),
                         ("chenjing", Choice.AGAINST)):
        declare(uow, r[name], s.application_id, conflicted=False)
        vote(uow, r[name], s.application_id, choice)
    assert resolve(uow, r["lilei"], s.application_id,
                   on=date(2024, 4, 10)).reason == "assembly_missing"
    record_assembly_vote(uow, s.manager, s.application_id, held_on=date(2024, 4, 20),
                         votes_for=20, against=15, abstain=6)
    assert resolve(uow, r["lilei"], s.application_id,
                   on=date(2024, 4, 22)).reason == "assembly_against"

    _, text = _read(minutes_pdf(uow, s.application_id), tmp_path)
    _assert_shows(
        text, "三分之二多数", "Two-thirds majority", "须经表决 Its vote is required",
        "日期 Held on 赞成 For 反对 Against 弃权 Abstain 2024-04-20 20 15 6",
        "缺居民代表大会表决，暂不作决定 · Residents' assembly vote missing: no decision yet",
        "居民代表大会未通过，不予资助 · Residents' assembly against: not funded",
        "未获批准 · Rejected")
    assert _flat("资助承诺") not in text


def test_minutes_of_an_unknown_application_are_not_found(uow: UnitOfWork) -> None:
    with pytest.raises(ApplicationNotFound):
        minutes_pdf(uow, 999)
