#!/usr/bin/env bash
# Sets tscompose up on a fresh Debian 12 machine, as root, from a clone, and shows the
# sample stack. Says what it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian 12's own nodejs is 18, too old for better-sqlite3 12 and execa 9: Node 20.19 or
# later must already be there (it is on this project's machines).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "tscompose needs Node.js 20.19 or later (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it from nodejs.org or your distribution's backports, then run this again." >&2
  exit 1
fi

# What the engine runs on: runc under conmon, catatonit as the init for `init: true`,
# iproute2 for network namespaces, and busybox-static for the sample's base image.
APT_PACKAGES=(runc conmon catatonit iproute2 busybox-static)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

echo "installing npm packages (npm ci) and building" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
npm run --silent build >&2

echo "linking the tscompose command into $(npm prefix -g)/bin (npm link)" >&2
npm link --silent >/dev/null 2>&1 || npm link >&2

echo "making the busybox base image from the host's static busybox (no registry needed)" >&2
tscompose image bootstrap busybox >&2

echo >&2
echo "The sample stack in samples/webapp, as tscompose plans it and then runs it:" >&2
cd samples/webapp
tscompose graph
tscompose up -d --wait
tscompose ps
echo >&2
echo "The web service on its published port, http://127.0.0.1:${WEB_PORT:-8080}/ :" >&2
node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))' \
  "http://127.0.0.1:${WEB_PORT:-8080}/"
echo "and the api, by name from inside web:" >&2
tscompose exec -T web wget -q -O - http://api:9000/health
echo >&2
echo "Stop it with: cd samples/webapp && tscompose down" >&2
