#!/usr/bin/env bash
# Debian's Chromium at /usr/bin/chromium for the browser test. Playwright drives this browser
# through executable_path: it never downloads one of its own.
exec "$(dirname "$0")/../../tools/install-debian.sh" --optional "the browser test" \
  /usr/bin/chromium:chromium
