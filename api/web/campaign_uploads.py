"""Files held between an import's preview and its confirmation.

The preview reads an uploaded roll or payment export and writes nothing to the books; the
file waits in a folder of the instance (`HUZHU_CAMPAIGN_UPLOADS`, by default
<instance>/campaign-uploads), named by a random token, for at most an hour. The confirmation
names the token; the file is taken only by the person who uploaded it, for the same campaign
and kind of import, and is deleted once used. Nothing of the file travels through the page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g

#: How long a previewed file waits for its confirmation.
KEEP_SECONDS = 3600
#: The largest file taken (the request itself is limited by MAX_CONTENT_LENGTH).
MAX_FILE_BYTES = 5 * 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True, slots=True)
class Held:
    token: str
    kind: str  # "roll" or "payments"
    campaign_id: int
    filename: str
    method: str | None  # the payment method of a payment export
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def folder() -> Path:
    found = current_app.config.get("HUZHU_CAMPAIGN_UPLOADS") or (
        Path(current_app.instance_path) / "campaign-uploads")
    path = Path(found)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _write(path: Path, data: bytes) -> None:
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(data)


def sweep(now: float | None = None) -> None:
    """Delete files whose time is up."""
    limit = (now or time.time()) - KEEP_SECONDS
    for path in folder().glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            continue


def keep(kind: str, campaign_id: int, filename: str, content: bytes,
         method: str | None = None) -> str:
    """Hold a previewed file; its token."""
    sweep()
    token = secrets.token_urlsafe(24)
    meta = {"kind": kind, "campaign_id": campaign_id, "filename": filename,
            "method": method, "username": g.user.username, "at": int(time.time()),
            "sha256": hashlib.sha256(content).hexdigest()}
    where = folder()
    _write(where / f"{token}.data", content)
    _write(where / f"{token}.json", json.dumps(meta).encode())
    return token


def take(token: str | None, kind: str, campaign_id: int) -> Held | None:
    """The file held under this token for this person, campaign and kind; None when there is
    none (a wrong or expired token, someone else's file)."""
    if not token or not _TOKEN.match(token):
        return None
    where = folder()
    try:
        meta = json.loads((where / f"{token}.json").read_bytes())
        content = (where / f"{token}.data").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    if (meta.get("kind") != kind or meta.get("campaign_id") != campaign_id
            or meta.get("username") != g.user.username
            or int(time.time()) - int(meta.get("at", 0)) > KEEP_SECONDS
            or hashlib.sha256(content).hexdigest() != meta.get("sha256")):
        return None
    return Held(token, kind, campaign_id, str(meta["filename"]), meta.get("method"), content)


def drop(token: str) -> None:
    """Forget a held file (once it is written, or refused for good)."""
    if not _TOKEN.match(token):
        return
    for suffix in (".data", ".json"):
        (folder() / f"{token}{suffix}").unlink(missing_ok=True)
