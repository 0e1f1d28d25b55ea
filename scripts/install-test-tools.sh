#!/usr/bin/env bash
# Installs the real components the test tiers run against, each only when it is missing:
# - the tar readers test/differential compares the registry's verdicts with: Go (its archive/tar is what
#   Palette reads packs with), bsdtar (libarchive), GNU tar and Python 3, from Debian;
# - Debian's chromium for the web UI tests (test/browser), driven by playwright-core;
# - Debian's postgresql (initdb, postgres) for the PostgreSQL index tests (test/postgres), which start their
#   own server in a temporary folder: no system cluster is created or started;
# - moto's S3 server (pip install "moto[server]") for the S3 storage tests, which start `moto_server`.
# Idempotent and quiet: apt-get and pip run only when something is missing, and print only on failure.
set -euo pipefail

packages=()
command -v go >/dev/null 2>&1 || packages+=(golang-go)
command -v bsdtar >/dev/null 2>&1 || packages+=(libarchive-tools)
tar --version 2>/dev/null | grep -q 'GNU tar' || packages+=(tar)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
[ -x /usr/bin/chromium ] || packages+=(chromium)
# Debian installs the server programs under /usr/lib/postgresql/<major>/bin, off the PATH.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || packages+=(postgresql)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "${#sudo[@]}" -gt 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-tools: root is needed to install ${packages[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [[ " ${packages[*]} " == *" postgresql "* ]]; then
    # postgresql-common's createcluster.conf reads this folder: without it, installing the package would
    # create (and on a machine with an init system, start) a "main" cluster the tests never use.
    "${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/pack-registry-tests.conf >/dev/null
  fi
  # The Go lister is built with CGO_ENABLED=0: no C compiler is needed, so no recommends.
  if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-test-tools: could not install ${packages[*]}" >&2
    exit 1
  fi
  echo "install-test-tools: installed ${packages[*]}"
fi

if ! command -v moto_server >/dev/null 2>&1; then
  if ! python3 -m pip install --quiet "moto[server]" >"$log" 2>&1; then
    cat "$log" >&2
    echo 'install-test-tools: could not install moto[server] with pip' >&2
    exit 1
  fi
  echo 'install-test-tools: installed moto[server]'
fi
