#!/usr/bin/env bash
# Installs what MockMCU needs on a fresh Debian machine (as root, non-interactive):
# libmicrohttpd and pkg-config; for the tests, dnsmasq (a real DNS server for discovery)
# and openssl and curl (a self-signed certificate and an HTTPS client for the TLS test),
# and python3 (the example Python adapter, which the tests run through the suite),
# skipping anything already present. Safe to run again.
set -euo pipefail

need=()
for pkg in libmicrohttpd-dev pkg-config dnsmasq-base openssl curl "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v python3 >/dev/null 2>&1 || need+=(python3)

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    else
        SUDO=
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.0 or later) is not on PATH; install it from swift.org first" >&2
    exit 1
fi
pkg-config --exists libmicrohttpd || { echo "setup: libmicrohttpd still not found by pkg-config" >&2; exit 1; }
