#!/usr/bin/env bash
# Make sure wrk (the load generator, from Debian's packages) is on PATH; install it if missing.
exec "$(dirname "$0")/install-tool.sh" wrk
