#!/usr/bin/env bash
# Runs the portable packages' unit tests (vitest, on the TypeScript sources) under Node 22 and
# 24 as well as the machine's Node (20, which `npm test` uses). The other Node versions come
# from the npm `node` package (`npx -p node@22`), so nothing but the npm registry is needed.
# Usage: scripts/test-node-versions.sh [versions...]   (default: 22 24)
# Packages: STRATA_NODE_VERSION_PACKAGES, entries `pkg` (its whole suite) or `pkg:file,file`
# (those test files only). Default: the portable packages; for reconnect, its Node-side suites
# (the browser, Bun, Deno and workerd runs are the same code in other runtimes already).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then versions=(22 24); fi
default_packages="codec handshake protocol reconnect:test/units.test.ts,test/reconnect.test.ts,test/resume.test.ts,test/stream.test.ts"
read -r -a packages <<< "${STRATA_NODE_VERSION_PACKAGES:-$default_packages}"
status=0
for v in "${versions[@]}"; do
  # The node binary of the newest node@<v> (installed once into npm's cache).
  bin=$(npx -y -p "node@$v" -c 'command -v node')
  echo "== Node $("$bin" --version) ($bin)"
  for entry in "${packages[@]}"; do
    p=${entry%%:*}
    files=()
    if [ "$entry" != "$p" ]; then IFS=, read -r -a files <<< "${entry#*:}"; fi
    echo "-- packages/$p ${files[*]}"
    # --reporter default: the JSON report of the Node 20 run (test-results/) is left alone.
    if ! (cd "packages/$p" && "$bin" "$root/node_modules/vitest/vitest.mjs" run --reporter default "${files[@]}"); then
      echo "FAIL packages/$p on Node $v"
      status=1
    fi
  done
done
exit $status
