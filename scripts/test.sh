#!/usr/bin/env bash
# The project's test command: installs what the tests need, builds, lints, tests.
# Works as root on a fresh Debian 12 clone; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests use; the engine's tests add theirs here.
# docker-compose (1.29) is the reference the parity test compares `config` with; the
# engine tests use docker-registry (a real registry on loopback), skopeo and umoci (tools
# no one here wrote), htpasswd (apache2-utils), busybox-static and debootstrap (base
# images), zstd (zstd layers) and attr (setfattr, for file capabilities in layers). The
# containers run on runc under conmon, with catatonit as the init for `init: true`, and
# iproute2 for network namespaces; dig (bind9-dnsutils) checks the DNS responder.
APT_PACKAGES=(docker-compose docker-registry skopeo umoci apache2-utils busybox-static debootstrap zstd attr
  runc conmon catatonit iproute2 bind9-dnsutils)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

echo "installing npm packages (npm ci)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
npm run --silent build >&2

if ! npm run --silent lint >&2; then
  echo "lint failed: run npm run format, or fix what eslint names" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

node scripts/test.mjs "$@"
