#!/usr/bin/env bash
# A local stand-in for python:3.11-slim-bookworm, for machines that cannot pull from a registry:
# Debian bookworm's minimal system (debootstrap --variant=minbase) with its python3, venv and pip,
# imported as $BASE_IMAGE. Built once: an image of that tag already in the store is kept.
# Needs root, debootstrap and network access to the Debian mirror apt uses on this machine.
set -euo pipefail
cd "$(dirname "$0")"
BASE_IMAGE=${BASE_IMAGE:-localhost/petsage-base:bookworm}
SUITE=bookworm
PACKAGES=python3,python3-venv,python3-pip,python-is-python3,ca-certificates

if ./podman image exists "$BASE_IMAGE"; then
    echo "base: $BASE_IMAGE is already built"
    exit 0
fi

# The mirror apt uses here, as apt itself reports it; none for the suite: debootstrap's default.
mirror=$(apt-get indextargets --format '$(REPO_URI)' \
    'Identifier: Packages' "Release: $SUITE" 'Component: main' 2>/dev/null | head -n 1) || true

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
echo "base: debootstrap $SUITE from ${mirror:-the default mirror of debootstrap} into a temporary directory"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" ${mirror:+"$mirror"} >/dev/null
# What Debian's slim images leave out: package lists and caches, logs, man pages, translations,
# documentation but the licences.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
    "$root"/usr/share/lintian/* "$root"/usr/share/locale/*
find "$root"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
tar -C "$root" -c . | ./podman import --quiet - "$BASE_IMAGE" >/dev/null
echo "base: $BASE_IMAGE built in $(($(date +%s) - start)) s"
