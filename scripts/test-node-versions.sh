#!/usr/bin/env bash
# Runs the portable packages' unit tests (vitest, on the TypeScript sources) under Node 22 and
# 24 as well as the machine's Node (20, which `npm test` uses). The other Node versions come
# from the npm `node` package (`npx -p node@22`), so nothing but the npm registry is needed.
# Usage: scripts/test-node-versions.sh [versions...]   (default: 22 24)
# Packages: STRATA_NODE_VERSION_PACKAGES (default: codec handshake protocol)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then versions=(22 24); fi
read -r -a packages <<< "${STRATA_NODE_VERSION_PACKAGES:-codec handshake protocol}"
status=0
for v in "${versions[@]}"; do
  # The node binary of the newest node@<v> (installed once into npm's cache).
  bin=$(npx -y -p "node@$v" -c 'command -v node')
  echo "== Node $("$bin" --version) ($bin)"
  for p in "${packages[@]}"; do
    echo "-- packages/$p"
    # --reporter default: the JSON report of the Node 20 run (test-results/) is left alone.
    if ! (cd "packages/$p" && "$bin" "$root/node_modules/vitest/vitest.mjs" run --reporter default); then
      echo "FAIL packages/$p on Node $v"
      status=1
    fi
  done
done
exit $status
