#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser test; install it if missing.
# Playwright drives this browser through executable_path: it never downloads one of its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # Not an error: the browser test skips and says why. CI runs as root and gets here no further.
  echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
    "the browser test will be skipped" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium
