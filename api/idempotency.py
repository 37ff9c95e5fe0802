"""The `Idempotency-Key` header on every POST: a retried request replays the first response.

Same key and same request: the stored response is replayed (`Idempotent-Replayed: true`).
Same key, different request: 422. Same key while the first is still processing: 409.
The key is completed in the same transaction as the write it answers for.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, make_response, request
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest

from ledger.books import now
from ledger.db import idempotency as store
from ledger.db.session import Session

from .auth import current_actor
from .state import uow

HEADER = "Idempotency-Key"
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "description": "A unique key per intended write (e.g. a UUID). Retrying with the same key "
                   "and body replays the first response; a different body gives 422; a request "
                   "still being processed gives 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _multipart_form() -> bytes:
    """A form upload's canonical body: its fields and, per file, the field, file name and
    SHA-256 of the content; so a retry encoded with a new boundary is the same request."""
    # a part without a name (hostile or broken clients) has the name None
    fields = sorted(request.form.items(multi=True), key=lambda kv: (kv[0] or "", kv[1]))
    parts: list[list[str | None]] = [[k, v] for k, v in fields]
    for name, storage in sorted(request.files.items(multi=True), key=lambda item: item[0] or ""):
        content = storage.stream.read()
        storage.stream.seek(0)
        parts.append([name, storage.filename or "", hashlib.sha256(content).hexdigest()])
    return json.dumps(parts, ensure_ascii=False).encode()


def _request_hash() -> str:
    """HMAC of method, path and canonical body: JSON with sorted keys, or a form upload's
    fields and file digests (keyed, as bodies may hold secrets)."""
    if request.mimetype == "multipart/form-data":
        return _digest(_multipart_form())
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        body = canonical.encode()
    except ValueError:
        body = raw
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    return _digest(body)


def _digest(body: bytes) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{request.method} {request.full_path}\n".encode(), hashlib.sha256)
    digest.update(body)
    return digest.hexdigest()


def _key() -> str:
    key = request.headers.get(HEADER, "")
    if not key:
        raise BadRequest(f"every POST needs an {HEADER} header (for example a new UUID), so "
                         f"that a retried request cannot write twice")
    if len(key) > 255 or not key.isascii() or not key.isprintable():
        raise BadRequest(f"{HEADER} must be 1 to 255 printable ASCII characters")
    return key


def _redacted(response: Response, fields: tuple[str, ...]) -> str:
    text = response.get_data(as_text=True)
    if not fields:
        return text
    body = json.loads(text)
    return json.dumps({k: (None if k in fields else v) for k, v in body.items()},
                      ensure_ascii=False)


def _replay(stored: store.StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status, mimetype="application/json")
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., Any] | None = None, *, redact: tuple[str, ...] = ()
               ) -> Any:
    """Make a POST view idempotent by its Idempotency-Key (place it right under `requires`).

    Fields named in `redact` (secrets shown once) are stored as null, so a replay does not
    show them again."""
    if view is None:
        return functools.partial(idempotent, redact=redact)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        actor = current_actor()
        key, scope, request_hash = _key(), f"user:{actor.user_id}", _request_hash()
        work = uow()
        claimed = store.claim(work, scope, key, request_hash, now())
        if isinstance(claimed, store.StoredResponse):
            return _replay(claimed)

        def write(session: Session) -> Response:
            response = make_response(view(*args, **kwargs))
            store.complete(session, claimed, store.StoredResponse(
                response.status_code, _redacted(response, redact),
                response.headers.get("Location")))
            return response

        try:
            return work.write(write)
        except BaseException:
            store.release(work, claimed)
            raise

    return Blueprint.doc(parameters=[HEADER_DOC])(wrapper)
