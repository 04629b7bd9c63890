#!/usr/bin/env bash
# Install from Debian's packages what is missing, for the tests, the benchmark and the attacks.
# Usage: tools/install-debian.sh [--optional WHAT] CHECK:PACKAGE ...
#   CHECK is a command (looked up on PATH) or a path, globs allowed, that PACKAGE provides.
#   --optional: without root or apt-get, say that WHAT will be skipped and succeed; otherwise fail.
set -euo pipefail
optional=""
if [ "${1:-}" = "--optional" ]; then
  optional="$2"
  shift 2
fi
present() {
  case "$1" in
    */*) compgen -G "$1" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
missing=()
for wanted in "$@"; do
  present "${wanted%%:*}" || missing+=("${wanted#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  if [ -n "$optional" ]; then
    # Not an error: those tests skip and say why. CI runs as root and gets here no further.
    echo "missing ${missing[*]}, which needs root and apt-get to install: $optional will be skipped" >&2
    exit 0
  fi
  echo "missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
for wanted in "$@"; do
  present "${wanted%%:*}"
done
