#!/usr/bin/env bash
# Installs what the web bridge (Examples/web-bridge) needs, skipping what is
# present: Debian's chromium package and Playwright for Python (from PyPI),
# which drives that Chromium through its executable path, so no browser is
# downloaded. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh chromium python3-pip
if ! python3 -c "import playwright" >/dev/null 2>&1; then
    echo "setup: installing Playwright for Python" >&2
    # --break-system-packages: Debian's own python3 refuses pip installs without it (PEP 668);
    # a pyenv or venv python ignores it.
    python3 -m pip install --quiet --disable-pip-version-check "playwright==1.65.2" 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "playwright==1.65.2"
fi
python3 -c "import playwright" || { echo "setup: Playwright for Python did not install" >&2; exit 1; }
command -v chromium >/dev/null || { echo "setup: chromium is missing after install" >&2; exit 1; }
