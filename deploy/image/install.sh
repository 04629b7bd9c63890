#!/usr/bin/env bash
# What `make image` and `make image-test` need, from Debian's packages where it is missing: podman
# with runc (and catatonit, for the pause image of `podman kube play`), debootstrap for the local base,
# kubectl for `kubectl kustomize`. Without them, or without root, it says so and fails: the image is
# never skipped in silence.
set -euo pipefail
need=()
for tool in podman runc catatonit debootstrap iptables; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/libexec/podman/$tool ]] || need+=("$tool")
done
# Debian ships kubectl (with kustomize) as kubernetes-client.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
[[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || need+=(debian-archive-keyring)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "IMAGE: cannot build or test the container image here: missing ${need[*]}," \
            "and installing needs root and apt-get" >&2
        exit 1
    fi
    echo "image: installing ${need[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "IMAGE: the image scripts run podman as root (rootful networking, cgroupfs); run as root" >&2
    exit 1
fi
if ! out=$("$(dirname "$0")/podman" info 2>&1); then
    echo "IMAGE: podman cannot run here:" >&2
    echo "$out" >&2
    exit 1
fi
