"""The statements of an entity and period as a PDF (zh-Hans or English), and their data.

The pack (ledger.statements.Pack) is laid out as the 民间非营利组织会计制度 statements: a cover
with the audit status, charts of where the money came from and went, the statement of
financial position (资产负债表), the statement of activities (业务活动表) with unrestricted /
restricted / total columns, the cash-flow statement (现金流量表), each beside the previous
period and with its own checks shown as ✓, the notes (deposits and exposure for the fund;
grants, campaigns and the charity spending ratios for the foundation), the trial balance and,
optionally, the general-ledger detail as an appendix. The PDF is PDF/A-3b and carries the
figures as CSV and JSON attachments (reports.statement_data), so a machine reads exactly what a
person sees. A period that is not signed off says "未经审计草稿 / UNAUDITED DRAFT" in the
running header and across every page; a signed one says "audited", with the opinion, the
signer, the period's chain head and a QR code of the public page that verifies it, and is
rendered once and served byte-identical afterwards (ledger.periods.signed_statement).

The general-ledger appendix, fast and lean
------------------------------------------
A period's general ledger can run to 10,000 lines and far beyond. Laid out by WeasyPrint as
one big table with a repeated heading (`appendix_pdf(..., naive=True)`, kept for the
benchmark), every cell is a styled box with its own text layout and drawing, the table is laid
out again as it breaks across pages, and every page's boxes stay in memory until the PDF is
written: 10,000 lines took 160 s (132 s of CPU) and 1.5 GB here.

The appendix is therefore paginated here, not by WeasyPrint (`appendix_pdf`, and the appendix
of `render_statements`):

* Every row is exactly one line: an account's opening balance, each posting with the running
  balance, the account's period totals and closing balance. A memo too long for its column
  is cut with "…"; line breaks and other control characters in it become spaces. So a page
  holds exactly `ROWS_PER_PAGE` rows and the number of pages is known before anything is
  laid out.
* A page's rows are one block of monospaced text (Noto Sans Mono CJK SC, where a Chinese
  character is exactly two Latin cells wide), aligned by padding: one line box per row
  instead of seven table cells, no borders, no table layout. The memo comes last, so a
  character of unusual width can never push a figure out of its column; amounts are
  right-aligned with thousands separators, negative balances in parentheses.
* Each page carries its own running header (entity, period, audit mark), the column headings
  and its folio ("x / y") as ordinary text: no margin boxes to lay out page after page, and
  no page counter that would have to run across documents.
* Pages are rendered `CHUNK_PAGES` at a time, each chunk its own WeasyPrint document that is
  written to PDF bytes at once and dropped, so memory stays flat however long the ledger.
  pypdf appends the chunks' pages to the front part, which keeps the PDF/A metadata, the
  output intent, the attachments and the outline (plus an entry for the appendix); each
  chunk embeds its own font subset.
* The front part's page numbers count the appendix's pages: it is rendered with that many
  empty placeholder pages at its end (a named page without margin boxes), so CSS's
  `counter(pages)` is the whole document's count; the placeholders are dropped before the
  PDF is written (`Document.copy`), and the contents list takes the appendix's page number
  from the first of them (`target-counter`).
* Rows are formatted once each (memo fitting is cached, memos repeat); nothing is quadratic
  in the number of rows.

Measured (bench/statements.py, figures in the README): 10,000 lines in 6.0 s and 286 MB
peak (the naive table: 60.1 s, 1.5 GB); the pack without the appendix renders in under 1 s.
What is left is WeasyPrint's own cost of about 0.6 ms a line. Rendering chunks in parallel
processes saved a fifth of the time but doubled the memory (each loads WeasyPrint and fonts),
so the chunks render one after another.
"""

from __future__ import annotations

import base64
import calendar
import io
import json
import math
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import segno
from markupsafe import Markup, escape
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from ledger import books, mutual_aid
from ledger.core.chart import Entity, chart_of
from ledger.core.chart import entity as known_entity
from ledger.core.errors import InvalidInput
from ledger.core.mutual_aid import RemainderRule, SplitPolicy
from ledger.core.periods import Opinion, Period, PeriodKind, PeriodStatus, parse_period
from ledger.core.statements import MAX_ADMIN_SHARE, MIN_CHARITABLE_SHARE, Statement
from ledger.db.session import UnitOfWork
from ledger.periods import PeriodState, signed_statement
from ledger.statements import LedgerLine, Pack, ledger_lines, statement_pack

from .charts import pack_charts
from .pdf import TEMPLATES, render_html
from .statement_data import fen_of, grouped, pack_csv, pack_json

LANGS = ("zh", "en")
#: Rows of the general-ledger appendix on each page (every row is one line).
ROWS_PER_PAGE = 70
#: Appendix pages rendered per WeasyPrint document (memory stays flat beyond this).
CHUNK_PAGES = 80
PDF_VARIANT = "pdf/a-3b"
DRAFT_MARK = "未经审计草稿 / UNAUDITED DRAFT"

# --- words ------------------------------------------------------------------------------------
TEXT: dict[str, tuple[str, str]] = {
    "financial_statements": ("财务报表", "Financial statements"),
    "audited": ("已审计 · AUDITED", "AUDITED · 已审计"),
    "opinion": ("审计意见", "Audit opinion"),
    "signed_by": ("签署人", "Signed off by"),
    "signed_at": ("签署时间", "Signed off at"),
    "audit_notes": ("审计说明", "Auditor's notes"),
    "closed": ("结账", "Period closed"),
    "chain_head": ("结账时账链末笔（序号与哈希）", "Chain head at the close (number and hash)"),
    "verify_at": ("公开核验地址", "Verify at"),
    "scan_to_verify": ("扫码核验", "Scan to verify"),
    "draft_explained": ("本报表所属期间尚未经审计签署，数字可能变动，仅供参考。",
                        "The period of these statements has not been signed off by an "
                        "auditor; the figures may still change."),
    "period_status": ("期间状态", "Period status"),
    "contents": ("目录", "Contents"),
    "basis": ("按《民间非营利组织会计制度》编制，金额单位：人民币元。"
              "附件含 CSV 与 JSON 格式的报表数据。",
              "Prepared under China's Accounting System for Non-profit Organisations "
              "(民间非营利组织会计制度); amounts in CNY yuan. The statement data is attached "
              "as CSV and JSON."),
    "generated": ("生成时间", "Generated"),
    "unit": ("单位：人民币元", "Amounts in CNY yuan"),
    "charts": ("资金来源与去向", "Where the money came from and went"),
    "item": ("项目", "Item"),
    "this_period": ("本期", "This period"),
    "previous_period": ("上期", "Previous period"),
    "end_of": ("期末", "End of"),
    "notes": ("报表附注", "Notes to the statements"),
    "trial_balance": ("试算平衡表", "Trial balance"),
    "appendix": ("附录：总账明细", "Appendix: general-ledger detail"),
    "code": ("科目编码", "Code"),
    "account": ("会计科目", "Account"),
    "debits": ("借方累计", "Debits"),
    "credits": ("贷方累计", "Credits"),
    "debit_balance": ("借方余额", "Debit balance"),
    "credit_balance": ("贷方余额", "Credit balance"),
    "total": ("合计", "Total"),
    "tb_balanced": ("借方余额合计 = 贷方余额合计（试算平衡）",
                    "debit balances = credit balances (the trial balance balances)"),
    "none": ("无", "None"),
    "na": ("不适用", "n/a"),
    # notes
    "deposits": ("互助资金收取及分配", "Mutual-aid deposits received and their split"),
    "deposit_count": ("本期收取笔数", "Deposits received in the period (number)"),
    "received": ("本期收取互助资金", "Deposits received in the period"),
    "reversed": ("减：本期冲销", "less: deposits reversed in the period"),
    "net_received": ("互助资金净额", "Deposits, net of reversals"),
    "operating": ("其中：留存运作经费", "of which kept as operating funds"),
    "foundation_share": ("其中：转入基金会份额", "of which due to the foundation"),
    "actual_shares": ("实际分配比例", "Actual split"),
    "policy": ("分配政策", "Split policy"),
    "parts_add_up": ("每笔互助资金：运作经费 + 基金会份额 = 互助资金",
                     "operating share + foundation share = deposit, deposit by deposit"),
    "split_adds_up": ("运作经费 + 基金会份额 = 互助资金净额",
                      "operating funds + foundation share = deposits net of reversals"),
    "exposure": ("资金互助服务敞口（按会员）", "Mutual-aid service exposure by member"),
    "member": ("会员企业", "Member"),
    "credit_code": ("统一社会信用代码", "Unified social credit code"),
    "outstanding_loans": ("在保贷款（期末）", "Loans bridged, outstanding"),
    "advanced": ("其中：资金会垫付", "of which advanced by the fund"),
    "grants": ("公益创投资助项目", "Venture-philanthropy grants"),
    "grant": ("编号", "No."),
    "grantee": ("受资助方", "Grantee"),
    "committed_on": ("立项日期", "Committed on"),
    "approved": ("批准金额", "Approved"),
    "paid_in_period": ("本期拨付", "Paid in period"),
    "paid_to_date": ("累计拨付", "Paid to date"),
    "outstanding": ("未拨付", "Outstanding"),
    "status": ("状态", "Status"),
    "evaluation": ("验收评估", "Evaluation"),
    "campaigns": ("众筹项目", "Crowdfunding campaigns"),
    "campaign": ("项目", "Campaign"),
    "target": ("目标金额", "Target"),
    "raised": ("已筹金额", "Raised"),
    "households": ("已付户数 / 应付户数", "Households paid / asked"),
    "shortfall": ("缺口", "Shortfall"),
    "shortfall_source": ("缺口来源", "Shortfall covered by"),
    "leftover": ("结余处理", "Leftover handling"),
    "ratios": ("慈善活动支出与管理费用比例", "Charity spending ratios"),
    "ratio_rule": ("依据《慈善组织开展慈善活动年度支出和管理费用的规定》（2016）："
                   "具有公开募捐资格的基金会，年度慈善活动支出不得低于上年总收入的 70%，"
                   "年度管理费用不得超过当年总支出的 10%。",
                   "Rule (charity spending rules, 2016): a foundation with public-fundraising "
                   "status spends at least 70 % of the previous year's income on charitable "
                   "activities, and its administrative costs are at most 10 % of the year's "
                   "spending."),
    "figure": ("项目", "Figure"),
    "value": ("金额 / 比例", "Amount / ratio"),
    "required": ("规定", "Rule"),
    "met": ("结果", "Met"),
    "charitable_spending": ("本年慈善活动支出（业务活动成本，截至期末）",
                            "Charitable spending this year (programme costs, to the period's "
                            "end)"),
    "previous_year_income": ("上年总收入", "Previous year's income"),
    "charitable_ratio": ("慈善活动支出 / 上年总收入",
                         "Charitable spending / previous year's income"),
    "total_spending": ("本年总支出（截至期末）", "Total spending this year (to the period's end)"),
    "administrative": ("本年管理费用（截至期末）",
                       "Administrative costs this year (to the period's end)"),
    "admin_ratio": ("管理费用 / 本年总支出", "Administrative costs / total spending"),
    "no_previous_income": ("上年无收入，比例不适用",
                           "No income in the previous year: not applicable"),
    # appendix
    "date": ("日期", "Date"),
    "entry": ("凭证号", "Entry"),
    "acct": ("科目", "Acct"),
    "debit": ("借方", "Debit"),
    "credit": ("贷方", "Credit"),
    "balance": ("余额", "Balance"),
    "memo": ("摘要", "Memo"),
    "opening": ("期初余额", "Opening balance"),
    "closing": ("本期合计 · 期末余额", "Period total · closing balance"),
    "no_entries": ("本期无分录。", "No entries in the period."),
}
CHECKS_ZH = {
    "assets = liabilities + net assets": "资产 = 负债 + 净资产",
    "change in net assets = net assets at the end - at the start":
        "净资产变动额 = 期末净资产 − 期初净资产",
    "cash at the start + net increase = cash at the end":
        "期初现金余额 + 现金净增加额 = 期末现金余额",
}
OPINIONS = {
    Opinion.UNQUALIFIED: ("无保留意见", "Unqualified opinion"),
    Opinion.QUALIFIED: ("保留意见", "Qualified opinion"),
    Opinion.ADVERSE: ("否定意见", "Adverse opinion"),
    Opinion.DISCLAIMER: ("无法表示意见", "Disclaimer of opinion"),
}
PERIOD_STATUSES = {
    PeriodStatus.OPEN: ("未结账", "open"),
    PeriodStatus.CLOSING: ("结账中", "closing"),
    PeriodStatus.CLOSED: ("已结账，未审计签署", "closed, not signed off"),
}
GRANT_STATUSES = {"active": ("执行中", "active"), "completed": ("已完成", "completed"),
                  "closed": ("已终止", "closed early")}
EVALUATIONS = {"passed": ("验收通过", "passed"), "failed": ("验收未通过", "failed"),
               None: ("未评估", "not yet")}
CAMPAIGN_STATUSES = {
    "draft": ("筹备中", "draft"), "open": ("筹款中", "open"), "funded": ("已筹足", "funded"),
    "contractor_paid": ("已付施工款", "contractor paid"), "closed": ("已结项", "closed"),
    "cancelled": ("已取消", "cancelled")}
LEFTOVER_RULES = {"refund": ("按出资比例退还", "refunded pro rata to the payers"),
                  "foundation": ("转入基金会并披露", "released to the foundation, disclosed")}
SOURCES = {"subsidy": ("补贴", "subsidy"), "foundation": ("基金会配捐", "foundation"),
           "households": ("住户", "households")}
REMAINDER_RULES = {RemainderRule.FOUNDATION: ("零头归基金会", "odd fen to the foundation"),
                   RemainderRule.LARGEST_REMAINDER: ("最大余数法", "largest remainder")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _words(lang: str) -> dict[str, str]:
    return {key: _pick(pair, lang) for key, pair in TEXT.items()}


def period_text(period: Period, lang: str) -> str:
    """"2026 年度" / "Year 2026"; "2026 年 10 月" / "October 2026"."""
    start = period.starts_on
    if period.kind is PeriodKind.YEAR:
        return f"{start.year} 年度" if lang == "zh" else f"Year {start.year}"
    return f"{start.year} 年 {start.month} 月" if lang == "zh" \
        else f"{calendar.month_name[start.month]} {start.year}"


def css_string(text: str) -> Markup:
    """A CSS string token (quoted, escaped) for a margin box's content."""
    escaped = "".join(c if c.isprintable() and c not in '"\\<>' else f"\\{ord(c):x} "
                      for c in text)
    return Markup(f'"{escaped}"')


def _percent(value: Fraction | Decimal) -> str:
    """A share as a percentage to two decimals, trailing zeros dropped: 0.3 -> "30 %",
    241/300 -> "80.33 %" (exact arithmetic, rounded half-even at the end)."""
    share = Fraction(value) * 100
    shown = (Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.01"))
    text = f"{shown:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " %"


# --- the view model the templates render ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    cls: str = ""
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Cell, ...]
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    head: tuple[Row, ...]
    rows: tuple[Row, ...]
    cls: str = ""
    kind: str = "table"


@dataclass(frozen=True, slots=True)
class Check:
    text: str
    ok: bool | None  # None: not applicable

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "n/a" if self.ok is None else "✗"

    @property
    def cls(self) -> str:
        return "ok" if self.ok else "na" if self.ok is None else "bad"


@dataclass(frozen=True, slots=True)
class Checks:
    items: tuple[Check, ...]
    kind: str = "checks"


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    cls: str = "note"
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Heading:
    id: str
    text: str
    kind: str = "heading"


@dataclass(frozen=True, slots=True)
class ChartBlock:
    text: str
    src: str
    kind: str = "chart"


Block = Table | Checks | Text | Heading | ChartBlock


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    subtitle: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class PageBox:
    """What the page box of statements_page.html shows (CSS tokens)."""

    running: Markup
    mark: Markup
    footer: Markup
    folio: Markup
    draft: bool
    reserve: bool = False


@dataclass(frozen=True, slots=True)
class AuditBox:
    opinion: str
    signed_by: str
    signed_at: str
    notes: str
    closed_at: str
    closed_by: str
    head_seq: int
    head_hash: str
    url: str
    qr: str


def _money(fen: int, cls: str = "num") -> Cell:
    return Cell(grouped(fen), f"{cls} neg" if fen < 0 else cls)


def _m(money: Any) -> Cell:
    return _money(fen_of(money))


def _head(*texts: str, nums: int = 0) -> tuple[Row, ...]:
    """One heading row: the first texts left-aligned, the last `nums` right-aligned."""
    cells = [Cell(t, "num" if i >= len(texts) - nums else "") for i, t in enumerate(texts)]
    return (Row(tuple(cells)),)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- statements -------------------------------------------------------------------------------
def _statement_table(s: Statement, pack: Pack, lang: str, w: Mapping[str, str]) -> Table:
    columns = [_pick(c, lang) for c in s.columns]
    if s.key == "position":
        head = _head(w["item"], f"{w['end_of']} {pack.period.ends_on.isoformat()}",
                     f"{w['end_of']} {pack.previous.ends_on.isoformat()}", nums=2)
    elif len(columns) == 1:
        head = _head(w["item"], f"{w['this_period']} {pack.period.label}",
                     f"{w['previous_period']} {pack.previous.label}", nums=2)
    else:
        head = (
            Row((Cell(w["item"], rowspan=2),
                 Cell(f"{w['this_period']} {pack.period.label}", colspan=len(columns)),
                 Cell(f"{w['previous_period']} {pack.previous.label}", colspan=len(columns))),
                cls="groups"),
            Row(tuple(Cell(c, "num") for c in columns * 2)))
    rows = tuple(Row((Cell(_pick((line.zh, line.en), lang)),
                      *(_money(v) for v in (*line.values, *line.previous))),
                     "total" if line.total else "detail") for line in s.lines)
    return Table(head, rows, "statement grouped" if len(columns) > 1 else "statement")


def _checks(s: Statement, lang: str) -> Checks:
    return Checks(tuple(Check(CHECKS_ZH.get(name, name) if lang == "zh" else name, ok)
                        for name, ok in s.checks))


def _statement_sections(pack: Pack, lang: str, w: Mapping[str, str]) -> list[Section]:
    subtitle = f"{_pick((pack.entity.name_zh, pack.entity.name_en), lang)} · " \
               f"{period_text(pack.period, lang)} · {w['unit']}"
    return [Section(s.key, _pick((s.zh, s.en), lang), subtitle,
                    (_statement_table(s, pack, lang, w), _checks(s, lang)))
            for s in pack.statements]


# --- notes ------------------------------------------------------------------------------------
def _in_force(policies: Sequence[SplitPolicy], period: Period) -> list[SplitPolicy]:
    ordered = sorted(policies, key=lambda p: p.effective_from)
    found = []
    for i, policy in enumerate(ordered):
        until = ordered[i + 1].effective_from if i + 1 < len(ordered) else date.max
        if policy.effective_from <= period.ends_on and until > period.starts_on:
            found.append(policy)
    return found


def _deposit_blocks(pack: Pack, lang: str, w: Mapping[str, str],
                    policies: Sequence[SplitPolicy]) -> list[Block]:
    """Deposits received and reversed in the period, and the split of what is left, checked
    against itself and against the split policy in force."""
    note = pack.deposits
    assert note is not None
    received, reversed_ = fen_of(note.received), fen_of(note.reversed)
    operating, foundation = fen_of(note.operating), fen_of(note.foundation)
    net = received - reversed_
    rows = [Row((Cell(w["deposit_count"]), Cell(str(note.count), "num"))),
            Row((Cell(w["received"]), _money(received))),
            Row((Cell(w["reversed"]), _money(-reversed_))),
            Row((Cell(w["net_received"]), _money(net)), "total"),
            Row((Cell(w["operating"]), _money(operating)), "detail"),
            Row((Cell(w["foundation_share"]), _money(foundation)), "detail")]
    if net:
        rows.append(Row((Cell(w["actual_shares"]),
                         Cell(f"{_percent(Fraction(operating, net))} / "
                              f"{_percent(Fraction(foundation, net))}", "num"))))
    blocks: list[Block] = [Heading("note-deposits", w["deposits"]),
                           Table(_head(w["item"], w["value"], nums=1), tuple(rows), "kv")]
    checks = [Check(w["parts_add_up"], note.parts_add_up),
              Check(w["split_adds_up"], operating + foundation == net)]
    in_force = _in_force(policies, pack.period)
    for policy in in_force:
        shares = (f"{_percent(policy.operating_share)} / "
                  f"{_percent(policy.foundation_share)}")
        rule = _pick(REMAINDER_RULES[policy.remainder_rule], lang)
        since = policy.effective_from.isoformat()
        blocks.append(Text(
            f"{w['policy']} v{policy.version}（{since} 起）：{shares}，{rule}" if lang == "zh"
            else f"{w['policy']} v{policy.version} (from {since}): {shares}, {rule}"))
    if len(in_force) == 1 and note.count and not reversed_:
        # Each deposit's operating share is its exact share, rounded by less than a fen.
        share = _percent(in_force[0].operating_share)
        within = abs(operating - Fraction(received) * Fraction(in_force[0].operating_share))
        checks.append(Check(
            f"运作经费与政策比例 {share} × 互助资金相差不足每笔 1 分" if lang == "zh" else
            f"operating share within 1 fen per deposit of {share} × deposits received",
            within < note.count))
    blocks.append(Checks(tuple(checks)))
    return blocks


def _exposure_blocks(pack: Pack, w: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading("note-exposure", w["exposure"])]
    if not pack.exposure:
        return [*blocks, Text(w["none"])]
    rows = [Row((Cell(e.member), Cell(e.credit_code), _m(e.outstanding), _m(e.advanced)))
            for e in pack.exposure]
    rows.append(Row((Cell(w["total"], colspan=2),
                     _money(sum(fen_of(e.outstanding) for e in pack.exposure)),
                     _money(sum(fen_of(e.advanced) for e in pack.exposure))), "total"))
    return [*blocks, Table(_head(w["member"], w["credit_code"], w["outstanding_loans"],
                                 w["advanced"], nums=2), tuple(rows))]


def _grant_blocks(pack: Pack, lang: str, w: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading("note-grants", w["grants"])]
    if not pack.grants:
        return [*blocks, Text(w["none"])]
    keys = ("approved", "paid_in_period", "paid_to_date", "outstanding")
    rows = [Row((Cell(f"#{g.grant_id}"), Cell(g.grantee), Cell(g.committed_on.isoformat()),
                 *(_m(getattr(g, k)) for k in keys),
                 Cell(_pick(GRANT_STATUSES.get(g.status, (g.status, g.status)), lang)),
                 Cell(_pick(EVALUATIONS.get(g.evaluation, (str(g.evaluation),) * 2), lang))))
            for g in pack.grants]
    rows.append(Row((Cell(w["total"], colspan=3),
                     *(_money(sum(fen_of(getattr(g, k)) for g in pack.grants)) for k in keys),
                     Cell(""), Cell("")), "total"))
    head = (Row((Cell(w["grant"]), Cell(w["grantee"]), Cell(w["committed_on"]),
                 *(Cell(w[k], "num") for k in keys), Cell(w["status"]),
                 Cell(w["evaluation"]))),)
    return [*blocks, Table(head, tuple(rows), "compact")]


def _campaign_blocks(pack: Pack, lang: str, w: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading("note-campaigns", w["campaigns"])]
    if not pack.campaigns:
        return [*blocks, Text(w["none"])]
    rows = []
    for c in pack.campaigns:
        sources = "、".join(_pick(SOURCES.get(s.strip(), (s.strip(),) * 2), lang)
                           for s in c.shortfall_sources.split(",") if s.strip()) \
            if c.shortfall_sources else "—"
        rows.append(Row((Cell(f"#{c.campaign_id} {c.title}"), _m(c.target), _m(c.raised),
                         Cell(f"{c.households_paid} / {c.households}", "num"),
                         _m(c.shortfall), Cell(sources),
                         Cell(_pick(LEFTOVER_RULES.get(c.leftover_rule,
                                                       (c.leftover_rule,) * 2), lang)),
                         Cell(_pick(CAMPAIGN_STATUSES.get(c.status, (c.status,) * 2), lang)))))
    head = (Row((Cell(w["campaign"]), Cell(w["target"], "num"), Cell(w["raised"], "num"),
                 Cell(w["households"], "num"), Cell(w["shortfall"], "num"),
                 Cell(w["shortfall_source"]), Cell(w["leftover"]), Cell(w["status"]))),)
    return [*blocks, Table(head, tuple(rows), "compact")]


def _ratio_blocks(pack: Pack, lang: str, w: Mapping[str, str]) -> list[Block]:
    r = pack.ratios
    assert r is not None
    na = w["na"]

    def share(value: Any) -> str:
        return na if value is None else _percent(Fraction(value))

    def verdict(ok: bool | None) -> Cell:
        check = Check("", ok)
        return Cell(check.mark, f"c {check.cls}")

    blank = (Cell(""), Cell(""))
    rows = (
        Row((Cell(w["charitable_spending"]), _money(r.charitable_spending), *blank)),
        Row((Cell(w["previous_year_income"]), _money(r.previous_year_income), *blank)),
        Row((Cell(w["charitable_ratio"]), Cell(share(r.charitable_ratio), "num"),
             Cell(f"≥ {_percent(MIN_CHARITABLE_SHARE)}", "c"), verdict(r.charitable_ok)),
            "total"),
        Row((Cell(w["total_spending"]), _money(r.total_spending), *blank)),
        Row((Cell(w["administrative"]), _money(r.administrative), *blank)),
        Row((Cell(w["admin_ratio"]), Cell(share(r.admin_ratio), "num"),
             Cell(f"≤ {_percent(MAX_ADMIN_SHARE)}", "c"), verdict(r.admin_ok)), "total"),
    )
    blocks: list[Block] = [Heading("note-ratios", w["ratios"]),
                           Table((Row((Cell(w["figure"]), Cell(w["value"], "num"),
                                       Cell(w["required"], "c"), Cell(w["met"], "c"))),),
                                 rows),
                           Text(w["ratio_rule"])]
    if r.charitable_ratio is None:
        blocks.append(Text(w["no_previous_income"]))
    return blocks


def _notes_section(pack: Pack, lang: str, w: Mapping[str, str],
                   policies: Sequence[SplitPolicy]) -> Section:
    blocks: list[Block] = []
    if pack.deposits is not None:
        blocks += _deposit_blocks(pack, lang, w, policies)
        blocks += _exposure_blocks(pack, w)
    else:
        blocks += _grant_blocks(pack, lang, w)
        blocks += _campaign_blocks(pack, lang, w)
        if pack.ratios is not None:
            blocks += _ratio_blocks(pack, lang, w)
    subtitle = f"{_pick((pack.entity.name_zh, pack.entity.name_en), lang)} · " \
               f"{period_text(pack.period, lang)} · {w['unit']}"
    return Section("notes", w["notes"], subtitle, tuple(blocks))


def _tb_section(pack: Pack, lang: str, w: Mapping[str, str]) -> Section:
    tb = pack.trial_balance
    rows = [Row((Cell(line.account.code), Cell(_pick((line.account.name_zh,
                                                        line.account.name_en), lang)),
                 _money(line.debits), _money(line.credits), _money(line.debit_column),
                 _money(line.credit_column))) for line in tb.lines]
    totals = tb.totals()
    for currency, (debit, credit) in totals.items():
        label = w["total"] if len(totals) == 1 else f"{w['total']} {currency}"
        rows.append(Row((Cell(label, colspan=2),
                         _money(sum(line.debits for line in tb.lines
                                    if line.currency == currency)),
                         _money(sum(line.credits for line in tb.lines
                                    if line.currency == currency)),
                         _money(debit), _money(credit)), "total"))
    head = _head(w["code"], w["account"], w["debits"], w["credits"], w["debit_balance"],
                 w["credit_balance"], nums=4)
    subtitle = f"{_pick((pack.entity.name_zh, pack.entity.name_en), lang)} · " \
               f"{tb.as_of.isoformat()} · {w['unit']}"
    return Section("trial-balance", w["trial_balance"], subtitle,
                   (Table(head, tuple(rows), "tb"),
                    Checks((Check(w["tb_balanced"], tb.balanced),))))


def _chart_section(pack: Pack, lang: str, w: Mapping[str, str]) -> Section:
    blocks = tuple(ChartBlock(c.title, "data:image/svg+xml;base64,"
                              + base64.b64encode(c.svg.encode()).decode("ascii"))
                   for c in pack_charts(pack, lang))
    subtitle = f"{_pick((pack.entity.name_zh, pack.entity.name_en), lang)} · " \
               f"{period_text(pack.period, lang)} · {w['unit']}"
    return Section("charts", w["charts"], subtitle, blocks)


# --- the audit status -------------------------------------------------------------------------
def verify_url(public_url: str, entity: str, label: str) -> str:
    return f"{public_url.rstrip('/')}/transparency/{entity}/periods/{label}"


def _audit_box(state: PeriodState, lang: str, public_url: str) -> AuditBox | None:
    signoff, close = state.signoff, state.close
    if signoff is None or close is None:
        return None
    url = verify_url(public_url, state.entity, state.period.label)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    return AuditBox(opinion=_pick(OPINIONS[signoff.opinion], lang),
                    signed_by=signoff.signed_by, signed_at=_stamp(signoff.signed_at),
                    notes=signoff.notes, closed_at=_stamp(close.closed_at),
                    closed_by=close.closed_by, head_seq=close.head_seq,
                    head_hash=close.head_hash, url=url, qr=qr)


def _mark(state: PeriodState, lang: str) -> str:
    if state.signoff is None:
        return DRAFT_MARK
    opinion = OPINIONS[state.signoff.opinion]
    return f"已审计 AUDITED · {opinion[0]}" if lang == "zh" else \
        f"AUDITED 已审计 · {opinion[1]}"


def _running(entity: Entity, period: Period, lang: str, extra: str = "") -> str:
    name = _pick((entity.name_zh, entity.name_en), lang)
    return " · ".join(x for x in (name, period_text(period, lang), extra) if x)


def _footer(lang: str, generated_at: datetime) -> str:
    return f"互助 Huzhu · {_pick(TEXT['generated'], lang)} {_stamp(generated_at)}"


# --- rendering --------------------------------------------------------------------------------
@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def _document(html: str) -> Any:
    return HTML(string=html, base_url=str(TEMPLATES) + "/").render(font_config=_fonts())


#: The output intent's profile (sRGB, as WeasyPrint's own PDF/A output uses), under a name
#: of ours: WeasyPrint (70) opens its copy of the file for "srgb" and never closes it.
SRGB = "huzhu-srgb"
try:
    from weasyprint.css import ColorProfile
except ImportError:  # pragma: no cover - a WeasyPrint without colour profiles: its own sRGB
    ColorProfile = None


@cache
def _srgb_profile() -> bytes:
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _write(document: Any, **options: Any) -> bytes:
    """PDF/A-3b bytes of a rendered document, colours in sRGB with it as the output intent."""
    if ColorProfile is not None:
        document.color_profiles[SRGB] = ColorProfile(
            io.BytesIO(_srgb_profile()), "sRGB2014.icc", "relative-colorimetric",
            (["r"], ["g"], ["b"]))
        document.output_intent = options["output_intent"] = SRGB
    return document.write_pdf(  # type: ignore[no-any-return]
        pdf_variant=PDF_VARIANT, finisher=_unique_associated_files, **options)


def _unique_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint lists each attachment twice in the catalog's /AF: once is enough."""
    found = pdf.catalog.get("AF")
    if found:
        unique = list(dict.fromkeys(found))
        found.clear()
        found.extend(unique)


def _attachments(pack: Pack, generated_at: datetime) -> list[Attachment]:
    stem = f"statements-{pack.entity.code}-{pack.period.label}"
    data = json.dumps(pack_json(pack), ensure_ascii=False, indent=1, sort_keys=False)
    moment = generated_at.replace(tzinfo=None)  # WeasyPrint writes it as UTC ("...Z")
    return [Attachment(string=pack_csv(pack), name=f"{stem}.csv", relationship="Data",
                       description="Statement figures, one row per figure (CSV, UTF-8)",
                       created=moment, modified=moment),
            Attachment(string=data, name=f"{stem}.json", relationship="Data",
                       description="Statement pack (JSON, UTF-8)", created=moment,
                       modified=moment)]


def render_statements(pack: Pack, lang: str, *, appendix: Iterable[LedgerLine] | None = None,
                      opening: Mapping[str, int] | None = None,
                      policies: Sequence[SplitPolicy] = (), public_url: str = "",
                      generated_at: datetime | None = None) -> bytes:
    """The statements PDF of a pack, with the general-ledger `appendix` lines (in the order
    ledger.statements.ledger_lines gives them) if any are given, `opening` being each
    account's balance on its normal side at the start of the period (fen). Pure: reads
    nothing from the database."""
    if lang not in LANGS:
        raise InvalidInput("lang is zh or en", field="lang")
    generated_at = generated_at or books.now()
    w = _words(lang)
    draft = pack.state.signoff is None
    mark = _mark(pack.state, lang)
    rows = None if appendix is None else ledger_rows(appendix, pack.entity.code, lang,
                                                      opening or {})
    reserve = 0 if rows is None else page_count(len(rows))
    sections = [_chart_section(pack, lang, w), *_statement_sections(pack, lang, w),
                _notes_section(pack, lang, w, policies), _tb_section(pack, lang, w)]
    status = pack.state.status
    view = {
        "html_lang": "zh-Hans" if lang == "zh" else "en",
        "title": f"{_pick((pack.entity.name_zh, pack.entity.name_en), lang)} "
                 f"{w['financial_statements']} {pack.period.label}",
        "description": f"{w['financial_statements']} {pack.period.label}",
        "t": w, "draft": draft, "watermark": DRAFT_MARK,
        "entity_name": _pick((pack.entity.name_zh, pack.entity.name_en), lang),
        "entity_other": _pick((pack.entity.name_en, pack.entity.name_zh), lang),
        "period_text": period_text(pack.period, lang),
        "period_dates": ("（{} – {}）" if lang == "zh" else "({} – {})").format(
            pack.period.starts_on.isoformat(), pack.period.ends_on.isoformat()),
        "status_text": _pick(PERIOD_STATUSES[status], lang),
        "audit": _audit_box(pack.state, lang, public_url),
        "generated_at": _stamp(generated_at),
        "contents": [(s.id, s.title) for s in sections],
        "appendix_title": w["appendix"] if rows is not None else "",
        "sections": sections,
        "reserve": reserve,
        "page": PageBox(running=css_string(_running(pack.entity, pack.period, lang)),
                        mark=css_string(mark), footer=css_string(_footer(lang, generated_at)),
                        folio=Markup('counter(page) " / " counter(pages)'), draft=draft,
                        reserve=reserve > 0),
    }
    document = _document(render_html("statements.html", d=view, page=view["page"]))
    front_pages = len(document.pages) - reserve
    if reserve:
        document = document.copy(document.pages[:front_pages])
    front = _write(document, attachments=_attachments(pack, generated_at),
                   pdf_identifier=f"huzhu-{pack.entity.code}-{pack.period.label}".encode())
    if rows is None:
        return front
    chunks = _appendix_chunks(rows, entity=pack.entity, period=pack.period, lang=lang,
                              mark=mark, draft=draft, first_page=front_pages + 1,
                              total_pages=front_pages + reserve, generated_at=generated_at)
    return _merge(front, chunks, outline=w["appendix"])


# --- the general-ledger appendix --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One row of the appendix: an account's opening line, a posting, or its closing line."""

    kind: str  # "open", "line", "close"
    day: str
    seq: str
    account: str
    debit: int | None
    credit: int | None
    balance: int
    memo: str


def ledger_rows(lines: Iterable[LedgerLine], entity: str, lang: str,
                opening: Mapping[str, int]) -> list[LedgerRow]:
    """The appendix's rows: for each account with postings in the period, its opening
    balance, every posting with the running balance (on the account's normal side), and the
    period's totals with the closing balance. `lines` come ordered by account (as
    ledger.statements.ledger_lines yields them)."""
    chart = chart_of(entity)
    rows: list[LedgerRow] = []
    code: str | None = None
    balance = debits = credits = 0
    sign = 1

    def close() -> None:
        if code is not None:
            rows.append(LedgerRow("close", "", "", code, debits, credits, balance,
                                  _pick(TEXT["closing"], lang)))

    for line in lines:
        if line.account != code:
            close()
            code = line.account
            account = chart.get(code)
            sign = -1 if account is not None and account.normal_side.value == "credit" else 1
            balance, debits, credits = opening.get(code, 0), 0, 0
            name = _pick((account.name_zh, account.name_en), lang) if account else code
            rows.append(LedgerRow("open", "", "", code, None, None, balance,
                                  f"{_pick(TEXT['opening'], lang)} · {name}"))
        balance += sign * (line.debit - line.credit)
        debits += line.debit
        credits += line.credit
        rows.append(LedgerRow("line", line.effective_date.isoformat(), str(line.seq),
                              line.account, line.debit or None, line.credit or None, balance,
                              line.memo))
    close()
    return rows


def page_count(rows: int, per_page: int = ROWS_PER_PAGE) -> int:
    return max(1, math.ceil(rows / per_page))


#: Column widths of an appendix line, in cells of the monospaced font (a Chinese character
#: takes two): date, entry, account, debit, credit, balance; the memo takes the rest.
WIDTHS = (10, 7, 6, 17, 17, 19)
LINE_CELLS = 150


def cells(char: str) -> int:
    """Cells a character takes in Noto Sans Mono CJK: one for ASCII and half-width forms,
    two for everything else (wide, full-width, and conservatively the ambiguous ones)."""
    if " " <= char <= "~":
        return 1
    return 1 if unicodedata.east_asian_width(char) in ("Na", "H") else 2


@lru_cache(maxsize=8192)
def fit(text: str, width: int) -> str:
    """`text` on one line in at most `width` cells, cut with "…" (two cells) if longer;
    characters that are not printable (line breaks, tabs, other separators) become spaces.
    Memos repeat a lot, hence the cache."""
    flat = text if text.isprintable() else "".join(c if c.isprintable() else " "
                                                   for c in text)
    sizes = [1] * len(flat) if flat.isascii() else [cells(c) for c in flat]
    if sum(sizes) <= width:
        return flat
    used = 0
    for i, size in enumerate(sizes):
        if used + size > width - 2:
            return flat[:i] + "…"
        used += size
    return flat  # pragma: no cover - the sum above said otherwise


def _width(text: str) -> int:
    return len(text) if text.isascii() else sum(cells(c) for c in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _line_text(row: LedgerRow) -> str:
    d, s, a, dr, cr, bal = WIDTHS
    figures = (_pad(row.day, d) + " " + _pad(row.seq, s, right=True) + " " + _pad(row.account, a)
               + " " + _pad("" if row.debit is None else grouped(row.debit), dr, right=True)
               + " " + _pad("" if row.credit is None else grouped(row.credit), cr, right=True)
               + " " + _pad(grouped(row.balance), bal, right=True) + "  ")
    return figures + fit(row.memo, LINE_CELLS - len(figures))


def _heading_text(lang: str) -> str:
    w = _words(lang)
    d, s, a, dr, cr, bal = WIDTHS
    return (_pad(w["date"], d) + " " + _pad(w["entry"], s, right=True) + " " + _pad(w["acct"], a)
            + " " + _pad(w["debit"], dr, right=True) + " " + _pad(w["credit"], cr, right=True)
            + " " + _pad(w["balance"], bal, right=True) + "  " + w["memo"])


@dataclass(frozen=True, slots=True)
class Sheet:
    folio: str  # "12 / 230"
    body: Markup
    first: bool = False


@dataclass(frozen=True, slots=True)
class _Appendix:
    """What every chunk of the appendix shares."""

    entity: Entity
    period: Period
    lang: str
    mark: str
    draft: bool
    generated_at: datetime
    first_page: int
    total_pages: int
    per_page: int = ROWS_PER_PAGE
    chunk_pages: int = CHUNK_PAGES


#: Height of a line of the appendix, in mm (the rows' block is exactly `per_page` lines).
LINE_MM = 3.55


def _sheets(rows: Sequence[LedgerRow], setting: _Appendix, start: int, stop: int
            ) -> Iterator[Sheet]:
    """Pages `start` to `stop` (0-based, exclusive) of the appendix."""
    per_page = setting.per_page
    for page in range(start, stop):
        lines = [escape(_line_text(row)) for row in rows[page * per_page:(page + 1) * per_page]]
        if not rows:
            lines.append(escape(_pick(TEXT["no_entries"], setting.lang)))
        yield Sheet(folio=f"{setting.first_page + page} / {setting.total_pages}",
                    body=Markup("\n").join(lines), first=page == start)


def _chunk_pdf(rows: Sequence[LedgerRow], setting: _Appendix, start: int, stop: int) -> bytes:
    w = _words(setting.lang)
    html = render_html("statements_appendix.html", lang=setting.lang, title=w["appendix"],
                       draft=setting.draft, watermark=DRAFT_MARK, mark=setting.mark,
                       running=_running(setting.entity, setting.period, setting.lang,
                                        w["appendix"]),
                       heading=_heading_text(setting.lang),
                       rows_height=f"{setting.per_page * LINE_MM:.2f}mm",
                       sheets=list(_sheets(rows, setting, start, stop)))
    return _write(_document(html))


def _appendix_chunks(rows: Sequence[LedgerRow], *, entity: Entity, period: Period, lang: str,
                     mark: str, draft: bool, first_page: int, total_pages: int,
                     generated_at: datetime, per_page: int = ROWS_PER_PAGE,
                     chunk_pages: int = CHUNK_PAGES) -> Iterator[bytes]:
    setting = _Appendix(entity, period, lang, mark, draft, generated_at, first_page,
                        total_pages, per_page, chunk_pages)
    pages = page_count(len(rows), per_page)
    for start in range(0, pages, chunk_pages):
        yield _chunk_pdf(rows, setting, start, min(pages, start + chunk_pages))


def _merge(front: bytes, chunks: Iterable[bytes], *, outline: str) -> bytes:
    """The front document with the appendix chunks' pages appended (pypdf): the front's
    catalog (PDF/A metadata, output intent, attachments, outline) is kept."""
    rest = iter(chunks)
    chunk = next(rest, None)
    if chunk is None:
        return front
    writer = PdfWriter(clone_from=io.BytesIO(front))
    first = len(writer.pages)
    while chunk is not None:
        for page in PdfReader(io.BytesIO(chunk)).pages:
            writer.add_page(page)
        chunk = next(rest, None)
    writer.add_outline_item(title=outline, page_number=first)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _naive_pdf(rows: Sequence[LedgerRow], setting: _Appendix) -> bytes:
    w = _words(setting.lang)
    page = PageBox(running=css_string(_running(setting.entity, setting.period, setting.lang,
                                               w["appendix"])),
                   mark=css_string(setting.mark),
                   footer=css_string(_footer(setting.lang, setting.generated_at)),
                   folio=Markup('counter(page) " / " counter(pages)'), draft=setting.draft)
    html = render_html("statements_ledger.html", page=page, lang=setting.lang, t=w,
                       draft=setting.draft, watermark=DRAFT_MARK, rows=rows, money=grouped)
    return _write(_document(html))


def appendix_pdf(lines: Iterable[LedgerLine], *, entity: str, label: str, lang: str = "zh",
                 opening: Mapping[str, int] | None = None, naive: bool = False,
                 mark: str = DRAFT_MARK, per_page: int = ROWS_PER_PAGE,
                 chunk_pages: int = CHUNK_PAGES, generated_at: datetime | None = None
                 ) -> bytes:
    """The general-ledger appendix alone, as a PDF: `lines` in ledger order (see
    ledger.statements.ledger_lines, flattened). `naive` lays it out the obvious way, one big
    table that WeasyPrint paginates (for comparison); otherwise it is paginated here with a
    fixed number of one-line rows per page and rendered in chunks (see the module's doc)."""
    if lang not in LANGS:
        raise InvalidInput("lang is zh or en", field="lang")
    if not 1 <= per_page <= ROWS_PER_PAGE:  # a page has room for ROWS_PER_PAGE lines
        raise InvalidInput(f"per_page is 1 to {ROWS_PER_PAGE}", field="per_page")
    found, period = known_entity(entity), parse_period(label)
    rows = ledger_rows(lines, entity, lang, opening or {})
    setting = _Appendix(found, period, lang, mark, mark == DRAFT_MARK,
                        generated_at or books.now(), 1, page_count(len(rows), per_page),
                        per_page, chunk_pages)
    if naive:
        return _naive_pdf(rows, setting)
    chunks = _appendix_chunks(rows, entity=found, period=period, lang=lang, mark=mark,
                              draft=setting.draft, first_page=1,
                              total_pages=setting.total_pages,
                              generated_at=setting.generated_at, per_page=per_page,
                              chunk_pages=chunk_pages)
    first = next(chunks)
    return _merge(first, chunks, outline=_pick(TEXT["appendix"], lang))


# --- reading the books ------------------------------------------------------------------------
def opening_balances(uow: UnitOfWork, entity: str, period: Period) -> dict[str, int]:
    """Each account's balance on its normal side at the end of the day before the period
    (CNY, fen)."""
    tb = books.trial_balance(uow, entity, period.starts_on - timedelta(days=1))
    return {line.account.code: line.net for line in tb.lines if line.currency == "CNY"}


def _policies(uow: UnitOfWork, pack: Pack) -> list[SplitPolicy]:
    return mutual_aid.policies(uow) if pack.deposits is not None else []


def _render(uow: UnitOfWork, pack: Pack, lang: str, *, appendix: bool, public_url: str
            ) -> bytes:
    lines = None
    opening: dict[str, int] = {}
    if appendix:
        opening = opening_balances(uow, pack.entity.code, pack.period)
        lines = (line for batch in ledger_lines(uow, pack.entity.code, pack.period.label)
                 for line in batch)
    return render_statements(pack, lang, appendix=lines, opening=opening,
                             policies=_policies(uow, pack), public_url=public_url)


def statement_pdf(uow: UnitOfWork, entity: str, label: str, lang: str, *,
                  appendix: bool = True, public_url: str = "") -> bytes:
    """The statement pack of `entity` for period `label` ("2026" or "2026-10") in `lang`
    ("zh" or "en"). A signed-off period's PDF is rendered once, stored with its SHA-256 and
    served byte-identical afterwards (ledger.periods.signed_statement); any other period's is
    rendered now and marked "unaudited draft" on every page. `public_url` is the transparency
    site's base address, printed with a QR code to verify a signed period.

    The stored PDF of a signed period is the complete pack, with the general-ledger appendix,
    whatever `appendix` says: there is one audited document per period and language."""
    if lang not in LANGS:
        raise InvalidInput("lang is zh or en", field="lang")

    def render(state: PeriodState) -> bytes:
        # The pack of the state that was signed off, whatever its own read says about it.
        pack = replace(statement_pack(uow, entity, label), state=state)
        return _render(uow, pack, lang, appendix=True, public_url=public_url)

    stored = signed_statement(uow, entity, label, lang, render)
    if stored is not None:
        return stored.content
    pack = statement_pack(uow, entity, label)
    return _render(uow, pack, lang, appendix=appendix, public_url=public_url)

