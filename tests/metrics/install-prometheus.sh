#!/usr/bin/env bash
# Make sure Debian's Prometheus (prometheus and promtool) is installed for the metrics tests;
# install it if missing. The tests run it on 127.0.0.1 only, with a temporary data directory.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # Not an error: the Prometheus tests skip and say why. CI runs as root and gets here no further.
  echo "prometheus is missing and cannot be installed here (needs root and apt-get):" \
    "the Prometheus tests will be skipped" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends prometheus >/dev/null
command -v prometheus >/dev/null && command -v promtool >/dev/null
