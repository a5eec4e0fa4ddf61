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

echo "installing npm packages (npm ci) and building" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
npm run --silent build >&2

echo "linking the tscompose command into $(npm prefix -g)/bin (npm link)" >&2
npm link --silent >/dev/null 2>&1 || npm link >&2

echo >&2
echo "The sample stack in samples/webapp, as tscompose plans it:" >&2
cd samples/webapp
tscompose graph
tscompose config --services
