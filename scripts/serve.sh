#!/usr/bin/env bash
# Production: create the PostgreSQL database HUZHU_DATABASE_URL names if it is missing, migrate
# it, then serve the app with gunicorn (sync workers: every request is CPU work in Python and
# writers queue on the books' lock; see bench/http.py). Usage: serve.sh BIND WORKERS
set -euo pipefail
bind="${1:-127.0.0.1:8000}"
workers="${2:-5}"
url="${HUZHU_DATABASE_URL:?set HUZHU_DATABASE_URL to a postgresql+psycopg:// URL}"
case "$url" in
  postgresql*) ;;
  *) echo "make serve runs against PostgreSQL; HUZHU_DATABASE_URL is $url" >&2; exit 2 ;;
esac
.venv/bin/python - "$url" <<'PY'
import sys
import psycopg
from sqlalchemy import make_url
url = make_url(sys.argv[1])
admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
with psycopg.connect(admin, autocommit=True) as conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone() is None:
        conn.execute(f'CREATE DATABASE "{url.database}"')
        print(f"serve: created database {url.database}")
PY
.venv/bin/flask --app api db upgrade
exec .venv/bin/gunicorn "api:create_app()" --bind "$bind" --workers "$workers" \
  --access-logfile - --error-logfile - --graceful-timeout 30 --timeout 60
