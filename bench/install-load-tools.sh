#!/usr/bin/env bash
# Make sure the load generators (from Debian's packages) are on PATH: wrk, and h2load from
# nghttp2-client; install what is missing.
set -euo pipefail
here="$(dirname "$0")"
"$here/install-tool.sh" wrk
"$here/install-tool.sh" h2load nghttp2-client
