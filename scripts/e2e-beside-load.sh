#!/usr/bin/env bash
# The stock-kernel e2e (the vxlan-transport boot: transport mode with every phase, then plain VXLAN) with
# two CPU-bound busy loops beside it for its whole run, as on a CI machine with another job beside it
# (issue 9). Root; after a build. Prints the mocha summary; the busy loops end with it.
set -euo pipefail
cd "$(dirname "$0")/.."
sh -c 'while :; do :; done' & h1=$!
sh -c 'while :; do :; done' & h2=$!
trap 'kill $h1 $h2 2>/dev/null || true' EXIT
echo "busy loops: $h1 $h2 (started $(date -u +%T))"
npx mocha --no-config --timeout 1900000 --reporter test/support/summary-reporter.cjs dist/test/e2e/vxlan-transport.test.js
