#!/usr/bin/env bash
# Build the dashboard's third-party assets: install the chart library (uPlot) and the API
# docs viewer (swagger-ui-dist) pinned in package-lock.json from the npm registry and copy
# their browser files into carbon_engine/api/static/vendor/ (gitignored). Run from anywhere;
# idempotent. --ignore-scripts: only files are copied, no package's install script runs
# (swagger-ui-dist pulls in an install-analytics package, also disabled in package.json).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
vendor="$root/carbon_engine/api/static/vendor"
src="$root/node_modules/uplot"
swagger="$root/node_modules/swagger-ui-dist"

if ! command -v npm >/dev/null 2>&1; then
    echo "build_assets: npm not found; install Node.js (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi

cd "$root"
if [ ! -f "$src/dist/uPlot.esm.js" ] || [ ! -f "$swagger/swagger-ui-bundle.js" ] \
    || [ package-lock.json -nt "$src/package.json" ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

mkdir -p "$vendor"
cp "$src/dist/uPlot.esm.js" "$src/dist/uPlot.min.css" "$vendor/"
cp "$src/LICENSE" "$vendor/uPlot.LICENSE"
cp "$swagger/swagger-ui-bundle.js" "$swagger/swagger-ui.css" "$vendor/"
cp "$swagger/LICENSE" "$vendor/swagger-ui.LICENSE"
cp "$swagger/NOTICE" "$vendor/swagger-ui.NOTICE"
version() { node -p "require('$1/package.json').version"; }
echo "build_assets: uPlot $(version "$src"), Swagger UI $(version "$swagger") -> carbon_engine/api/static/vendor/"
