#!/usr/bin/env bash
# `make image`: builds deploy/Containerfile with podman as localhost/petsage:<version>, in the Docker
# image format (the OCI format drops HEALTHCHECK). The base is python:3.11-slim-bookworm where it can
# be pulled, else the local bookworm base of base.sh; PYTHON_IMAGE=<image> names another.
set -euo pipefail
cd "$(dirname "$0")/../.."
podman=deploy/image/podman
# The Containerfile's default base; podman resolves the short name through containers-common's aliases.
registry_base=$(sed -n 's/^ARG PYTHON_IMAGE=//p' deploy/Containerfile)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
image=localhost/petsage:$version

if [[ -n ${PYTHON_IMAGE:-} ]]; then
    base=$PYTHON_IMAGE
elif $podman image exists "$registry_base" || pulled=$(timeout 300 $podman pull --quiet "$registry_base" 2>&1); then
    base=$registry_base
else
    echo "image: $registry_base cannot be pulled (${pulled##*$'\n'}); using the local base" >&2
    deploy/image/base.sh
    base=localhost/petsage-base:bookworm
fi

# pip in the build asks the index pip asks here (an http(s) index-url or extra-index-url of pip's
# configuration or environment; file: locations are not visible in the build) and trusts the CA
# bundle pip trusts here: a pip.conf and the bundle passed as build secrets, kept in no layer.
pip_values() {
    ${PYTHON:-python3} -m pip config list 2>/dev/null | sed -n "s/^[^.]*\.$1='\(.*\)'$/\1/p" | tr ' ' '\n'
}
index=$(pip_values index-url | grep -m 1 -E '^https?://' || true)
extra=$(pip_values extra-index-url | grep -E '^https?://' | paste -sd ' ' || true)
cert=$(pip_values cert | head -n 1)
pip_conf=$(mktemp)
trap 'rm -f "$pip_conf"' EXIT
{
    echo "[global]"
    [[ -z $index ]] || echo "index-url = $index"
    [[ -z $extra ]] || echo "extra-index-url = $extra"
    [[ ! -f $cert ]] || echo "cert = /run/secrets/pip-ca.crt"
} >"$pip_conf"
secrets=(--secret "id=pip.conf,src=$pip_conf")
[[ ! -f $cert ]] || secrets+=(--secret "id=pip-ca.crt,src=$cert")

start=$(date +%s)
$podman build --format docker --file deploy/Containerfile --tag "$image" \
    --build-arg "PYTHON_IMAGE=$base" "${secrets[@]}" .
echo "image: $image built on $base in $(($(date +%s) - start)) s, $($podman image inspect --format '{{.Size}}' "$image") bytes"
