#!/usr/bin/env bash
# Make sure Debian's PostgreSQL and Redis servers are here for the datastore tests; install them if
# missing. The tests start their own servers on free ports; the packages' own services are not used.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && command -v redis-server >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # Not an error: the datastore tests skip and say why. CI runs as root and gets here no further.
  echo "postgresql or redis-server is missing and cannot be installed here (needs root and" \
    "apt-get): the datastore tests will be skipped" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends postgresql redis-server >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
command -v redis-server >/dev/null
