#!/usr/bin/env bash
# Debian's Prometheus (prometheus and promtool) for the metrics tests, which run it on 127.0.0.1
# only, with a temporary data directory.
exec "$(dirname "$0")/../../tools/install-debian.sh" --optional "the Prometheus tests" \
  prometheus:prometheus promtool:prometheus
