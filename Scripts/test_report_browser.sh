#!/usr/bin/env bash
# The browser test of `tickforge report`: renders DIR/report.html in headless Chromium and checks
# that it loads without errors, fetches nothing, needs no script, and that every chart drew pixels
# (Scripts/test_report_browser.py says how). Installs Debian's chromium when it is missing (as
# root, or through sudo). Extra arguments go to the Python script (e.g. --png FILE to keep the
# full-page screenshot).
#
# Usage: Scripts/test_report_browser.sh DIR [--png FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [--png FILE]" >&2
    exit 2
fi
if ! command -v chromium >/dev/null 2>&1; then
    echo "test_report_browser: installing chromium (Debian package)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # Other tests install packages too (PostgreSQL) and may hold the dpkg lock: wait for it.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { echo "test_report_browser: python3 is missing (Scripts/setup.sh installs it)" >&2; exit 1; }
exec python3 Scripts/test_report_browser.py "$@"
