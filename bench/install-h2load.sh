#!/usr/bin/env bash
# Make sure h2load (nghttp2's load generator, from Debian's packages) is on PATH; install it if
# missing. bench/starvation.py uses it to send a fixed number of requests.
set -euo pipefail
if command -v h2load >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "h2load is missing; install it with: sudo apt-get install -y nghttp2-client" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends nghttp2-client >/dev/null
command -v h2load >/dev/null
