#!/usr/bin/env bash
# Debian's PostgreSQL and Redis servers for the datastore tests. The tests start their own servers
# on free ports; the packages' own services are not used.
exec "$(dirname "$0")/../../tools/install-debian.sh" --optional "the datastore tests" \
  "/usr/lib/postgresql/*/bin/initdb:postgresql" redis-server:redis-server
