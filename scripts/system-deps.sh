#!/usr/bin/env bash
# Installs the Debian packages Huzhu needs when they are missing and we are allowed to:
# WeasyPrint's Pango, a CJK font so Chinese never renders as boxes, poppler-utils for tests
# that read PDFs back; with `test`, also Chromium for the browser tests (Playwright drives
# Debian's Chromium; it never downloads a browser of its own) and Ledger and hledger, which
# the export tests run on the exported books (tests/exports).
# Without root (or password-less sudo) it only says what is missing.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils)
[ "${1:-}" = "test" ] && packages+=(chromium ledger hledger)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "system-deps: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
