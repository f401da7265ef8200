#!/usr/bin/env bash
# Runs every test: installs what they need, checks the generated code is up to
# date with proto/, builds, builds the container image (scripts/build-image.sh),
# and runs mocha (unit and, as root, integration on real network namespaces and
# the image under podman) with Debian's libreswan 4.10, after printing the startup
# figures (bench/startup.ts) and a smoke run of the benchmarks (bench/run.ts --smoke), then the libreswan version matrix (real 5.2 and 5.4:
# scripts/libreswan-matrix.sh). Each run prints its own labelled count; the last line
# is the sum: "N passed, N failed, N skipped".
# CABLED_LIBRESWAN_MATRIX=none skips the matrix; naming test files runs only them.
set -euo pipefail
cd "$(dirname "$0")/.."
CABLED_LINT=1 bash scripts/install-deps.sh

matrix=yes
if [ "$#" -gt 0 ] || [ "${CABLED_LIBRESWAN_MATRIX:-}" = none ]; then matrix=no; fi
if [ "$matrix" = yes ]; then
  # Build libreswan 5.2 and 5.4 now, beside the main suite (a no-op once the machine-wide cache has them).
  mkdir -p .cache
  nice bash scripts/libreswan-matrix.sh build > .cache/libreswan-build.log 2>&1 &
  build_pid=$!
fi

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
  # The performance benchmarks (npm run bench, issue 15) at tiny sizes, one round: fails only when one cannot run.
  echo "== benchmark smoke (npm run bench -- --smoke)"
  node dist/bench/run.js --smoke
  # The container image the chart runs (test/image runs it; reused when its inputs have not changed).
  echo "== container image (scripts/build-image.sh)"
  bash scripts/build-image.sh --no-build
fi

echo "== tests"
CABLED_SUMMARY_FILE=$(mktemp)
export CABLED_SUMMARY_FILE
trap 'rm -f "$CABLED_SUMMARY_FILE"' EXIT
rc=0
# Runs one counted mocha run; a run that ends without counting (a crash) counts as one failure.
counted() {
  local label=$1 before
  shift
  before=$(wc -l < "$CABLED_SUMMARY_FILE")
  CABLED_SUMMARY_LABEL=$label "$@" || rc=1
  if [ "$(wc -l < "$CABLED_SUMMARY_FILE")" = "$before" ]; then
    echo "{\"label\":\"$label\",\"passes\":0,\"failures\":1,\"pending\":0}" >> "$CABLED_SUMMARY_FILE"
    echo "$label: ended without a test count (counted as 1 failure)"
  fi
}
# Arguments name test files (e.g. dist/test/unit/**/*.test.js); none means all of them.
if [ "$#" -gt 0 ]; then
  counted "tests" npx mocha "$@"
else
  counted "libreswan 4.10 (Debian) and everything else" npx mocha --recursive 'dist/test/**/*.test.js'
fi

if [ "$matrix" = yes ]; then
  t0=$SECONDS
  if ! wait "$build_pid"; then
    cat .cache/libreswan-build.log
    echo '{"label":"libreswan matrix build","passes":0,"failures":1,"pending":0}' >> "$CABLED_SUMMARY_FILE"
    echo "libreswan matrix: the 5.x build failed (log above; counted as 1 failure)"
    rc=1
  else
    tail -n 2 .cache/libreswan-build.log
    counted "libreswan matrix" bash scripts/libreswan-matrix.sh test
    echo "== libreswan matrix took $((SECONDS - t0)) s"
  fi
fi

echo "== summary"
node -e '
  const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  for (const r of runs) {
    console.log(`  ${r.label}: ${r.passes} tests passed, ${r.failures} failed, ${r.pending} skipped`);
    for (const f of r.failed ?? []) console.log(`    failed: ${f.title}\n      ${f.error}`);
  }
  console.log(`\n${sum("passes")} passed, ${sum("failures")} failed, ${sum("pending")} skipped`);
' "$CABLED_SUMMARY_FILE"
exit "$rc"
