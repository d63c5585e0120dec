#!/usr/bin/env bash
# Build the dashboard's third-party assets: install the chart library pinned in
# package-lock.json from the npm registry and copy its browser files into
# carbon_engine/api/static/vendor/ (gitignored). Run from anywhere; idempotent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
vendor="$root/carbon_engine/api/static/vendor"
src="$root/node_modules/uplot"

if ! command -v npm >/dev/null 2>&1; then
    echo "build_assets: npm not found; install Node.js (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi

cd "$root"
if [ ! -f "$src/dist/uPlot.esm.js" ] || [ package-lock.json -nt "$src/package.json" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

mkdir -p "$vendor"
cp "$src/dist/uPlot.esm.js" "$src/dist/uPlot.min.css" "$vendor/"
cp "$src/LICENSE" "$vendor/uPlot.LICENSE"
echo "build_assets: uPlot $(node -p "require('$src/package.json').version") -> carbon_engine/api/static/vendor/"
