#!/usr/bin/env bash
# `make serve`: the app under gunicorn against PostgreSQL, for production.
#
#   scripts/serve.sh [BIND [WORKERS]]     (make serve passes HUZHU_BIND and WORKERS)
#
#   HUZHU_DATABASE_URL  postgresql+psycopg://... (postgresql://... is taken to mean the same);
#                       default postgresql+psycopg://postgres@127.0.0.1:5432/huzhu. The
#                       database is created if it does not exist, then migrated.
#   BIND                where gunicorn listens: HUZHU_BIND, default 127.0.0.1:8000
#   WORKERS             gunicorn sync workers: default 2 x CPUs + 1
#   HUZHU_SECRET_KEY    as for any start (README, Configuration). Without it the key is kept in
#                       instance/secret_key, which the migration step below creates before any
#                       worker starts, so that every worker signs with the same key.
#
# Sync workers: a request is Python work holding the GIL, and every write queues on the books'
# single write lock, so threads inside a worker add nothing (bench/http.py). Access log on
# stdout, errors on stderr. SIGTERM or Ctrl-C lets the requests in flight finish (up to 30 s);
# a worker silent for 120 s is replaced (a year's statement PDF or a 10,000-entry batch takes
# seconds, not minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

url="${HUZHU_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/huzhu}"
case "$url" in
  postgresql+psycopg://*) ;;
  postgresql://*) url="postgresql+psycopg://${url#postgresql://}" ;;  # the driver we install
  *)
    echo "make serve: HUZHU_DATABASE_URL must be a PostgreSQL URL" \
         "(postgresql+psycopg://user@host:5432/name); SQLite is for 'make run'" >&2
    exit 2 ;;
esac
export HUZHU_DATABASE_URL="$url"
bind="${1:-${HUZHU_BIND:-127.0.0.1:8000}}"
workers="${2:-$(( 2 * $(nproc) + 1 ))}"

# Create the database if it is missing (through the server's maintenance database).
"$BIN/python" - <<'PY'
import os

import psycopg
from psycopg import sql
from sqlalchemy import make_url

url = make_url(os.environ["HUZHU_DATABASE_URL"])
name = url.database
if not name:
    raise SystemExit("make serve: HUZHU_DATABASE_URL names no database")
admin = url.set(drivername="postgresql", database="postgres")
try:
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True,
                         connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            print(f"make serve: database {name!r} exists")
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"make serve: created database {name!r}")
except psycopg.OperationalError as error:
    raise SystemExit(f"make serve: cannot reach PostgreSQL at "
                     f"{admin.render_as_string(hide_password=True)}: {error}") from None
PY

"$BIN/flask" --app api db upgrade

exec "$BIN/gunicorn" \
  --bind "$bind" \
  --workers "$workers" \
  --worker-class sync \
  --timeout 120 \
  --graceful-timeout 30 \
  --access-logfile - \
  --error-logfile - \
  "api:create_app()"
