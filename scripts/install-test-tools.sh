#!/usr/bin/env bash
# Installs the tar readers that test/differential compares the registry's verdicts with: Go (its
# archive/tar is what Palette reads packs with), bsdtar (libarchive), GNU tar and Python 3, all from
# Debian. Idempotent and quiet: apt-get runs only when one of them is missing, and prints only on failure.
set -euo pipefail

packages=()
command -v go >/dev/null 2>&1 || packages+=(golang-go)
command -v bsdtar >/dev/null 2>&1 || packages+=(libarchive-tools)
tar --version 2>/dev/null | grep -q 'GNU tar' || packages+=(tar)
command -v python3 >/dev/null 2>&1 || packages+=(python3)

if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-tools: root is needed to install ${packages[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# The Go lister is built with CGO_ENABLED=0: no C compiler is needed, so no recommends.
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-test-tools: could not install ${packages[*]}" >&2
  exit 1
fi
echo "install-test-tools: installed ${packages[*]}"
