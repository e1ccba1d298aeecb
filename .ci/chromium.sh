#!/usr/bin/env bash
# Install Debian's headless browser for the report test (tests/test_report.py):
# packages chromium and chromium-driver, only when /usr/bin/chromium is missing
# and we are root. Quiet; never fails the build: without a browser that test skips.
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium.sh: /usr/bin/chromium missing and not root; the browser test will skip" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium.sh: no apt-get; the browser test will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core; } >"$log" 2>&1; then
    echo "chromium.sh: apt-get install chromium failed; the browser test will skip" >&2
    tail -n 5 "$log" >&2
fi
rm -f "$log"
exit 0
