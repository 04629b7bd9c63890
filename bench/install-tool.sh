#!/usr/bin/env bash
# Make sure a load or attack tool from Debian's packages is on PATH; install it if missing.
# Usage: bench/install-tool.sh COMMAND [PACKAGE]   (PACKAGE defaults to COMMAND)
set -euo pipefail
tool="$1"
package="${2:-$1}"
if command -v "$tool" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$tool is missing; install it with: sudo apt-get install -y $package" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "$package" >/dev/null
command -v "$tool" >/dev/null
