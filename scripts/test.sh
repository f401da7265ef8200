#!/usr/bin/env bash
# Runs every test: installs what they need, checks the generated code is up to
# date with proto/, builds, builds the container image (scripts/build-image.sh),
# and runs mocha (unit and, as root, integration on real network namespaces and
# the image under podman), after printing the startup figures (bench/startup.ts).
# Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
CABLED_LINT=1 bash scripts/install-deps.sh

echo "== generated code matches proto/"
npx buf lint
npm run --silent gen
if ! git diff --quiet -- src/generated 2>/dev/null || [ -n "$(git ls-files --others --exclude-standard -- src/generated 2>/dev/null)" ]; then
  git --no-pager diff --stat -- src/generated
  git ls-files --others --exclude-standard -- src/generated
  echo "src/generated is stale: run 'npm run gen' and commit the result" >&2
  exit 1
fi

# The whole suite (no arguments) first prints the startup figures: never failing on noise, only if a command fails.
if [ "$#" -eq 0 ]; then
  echo "== startup figures"
  node dist/bench/startup.js --runs 5
  # The container image the chart runs (test/image runs it; reused when its inputs have not changed).
  echo "== container image (scripts/build-image.sh)"
  bash scripts/build-image.sh --no-build
fi

echo "== tests"
# Arguments name test files (e.g. dist/test/unit/**/*.test.js); none means all of them.
if [ "$#" -gt 0 ]; then npx mocha "$@"; else npx mocha --recursive 'dist/test/**/*.test.js'; fi
