"""The audit log (auditors, administrators): newest first, filtered, paged by a cursor."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request

from ledger import staff
from ledger.core.audit import AuditRecord
from ledger.core.staff import Role
from ledger.db.audit import AuditFilter

from ..auth import requires
from ..state import uow
from .common import local_time, role_label
from .forms import AuditFilterForm
from .pages import Page, bp

PAGE_SIZE = 50
MAX_CURSOR = 2**63 - 1


def present(record: AuditRecord) -> dict[str, Any]:
    actor = record.actor
    return {
        "seq": record.seq, "at": local_time(record.at), "username": actor.username,
        "role": role_label(actor.role) if actor.role else "—",
        "address": actor.address or "—", "action": record.action,
        "object": " ".join(p for p in (record.object_type, record.object_id) if p) or "—",
        "details": [(key, _detail(value)) for key, value in sorted(record.details.items())],
    }


def _detail(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "—"
    return json.dumps(value, ensure_ascii=False)


@bp.route("/audit")
@requires(Role.AUDITOR, Role.ADMIN)
def audit() -> Page:
    form = AuditFilterForm(formdata=request.args)
    before = request.args.get("before", type=int)
    if before is not None and not 1 <= before <= MAX_CURSOR:
        before = None
    if not form.validate():
        page = render_template("staff/audit.html", form=form, records=None, filters={},
                               before=before, next_before=None)
        return page, 422
    where = AuditFilter(username=(form.username.data or "").strip().lower() or None,
                        action=(form.action.data or "").strip() or None,
                        date_from=form.date_from.data, date_to=form.date_to.data)
    found = staff.audit_records(uow(), where, before=before, limit=PAGE_SIZE + 1)
    records = found[:PAGE_SIZE]
    filters = {key: request.args[key] for key in ("username", "action", "from", "to")
               if request.args.get(key, "").strip()}
    return render_template(
        "staff/audit.html", form=form, records=[present(r) for r in records],
        filters=filters, before=before,
        next_before=records[-1].seq if len(found) > PAGE_SIZE else None)
