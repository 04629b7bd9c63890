#!/usr/bin/env bash
# The load generators, from Debian's packages: wrk, and h2load from nghttp2-client.
exec "$(dirname "$0")/../tools/install-debian.sh" wrk:wrk h2load:nghttp2-client
