#!/usr/bin/env bash
# The libreswan version matrix (issue 13). Debian 12's libreswan 4.10 runs the whole suite
# (scripts/test.sh); this script builds real upstream 5.2 and 5.4 and runs the libreswan tests
# again under each, plus the VXLAN-over-transport e2e scenario on the stock kernel under 5.4.
#
#   scripts/libreswan-matrix.sh build          build every version (returns at once when cached)
#   scripts/libreswan-matrix.sh test           run the matrix (builds first if needed)
#
# Sources and tools: ../shared/libreswan beside the repository (build.sh, with-libreswan.sh,
# the tarballs and SHA256SUMS; CABLED_LIBRESWAN_SHARED overrides). Builds go to a machine-wide
# cache outside the clone, keyed by version and the tarball's sha256, so a fresh clone on the
# same machine reuses them: ${CABLED_LIBRESWAN_CACHE:-/var/cache/cabled/libreswan}/<ver>-<sha16>.
# Environment: CABLED_LIBRESWAN_MATRIX (default "5.2 5.4"), CABLED_LIBRESWAN_E2E (version that
# also runs the e2e scenario, default 5.4; "none" skips it). Each mocha run appends its counts
# to CABLED_SUMMARY_FILE (test/support/summary-reporter.cjs) when scripts/test.sh set it.
# Does not take /tmp/cabled-heavy.lock itself: its caller (CI, scripts/test.sh) holds it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${CABLED_LIBRESWAN_SHARED:-$ROOT/../shared/libreswan}
CACHE=${CABLED_LIBRESWAN_CACHE:-/var/cache/cabled/libreswan}
VERSIONS=${CABLED_LIBRESWAN_MATRIX:-5.2 5.4}
E2E=${CABLED_LIBRESWAN_E2E:-5.4}

die() { echo "libreswan-matrix: ERROR: $*" >&2; exit 1; }
[ -x "$SHARED/build.sh" ] && [ -x "$SHARED/with-libreswan.sh" ] && [ -f "$SHARED/SHA256SUMS" ] \
  || die "no libreswan sources at $SHARED (expected ../shared/libreswan beside the repository with build.sh, with-libreswan.sh, SHA256SUMS)"
SHARED=$(cd "$SHARED" && pwd)

# <cache>/<version>-<first 16 hex digits of the tarball's sha256>
dest_of() {
  local sha
  sha=$(awk -v f="libreswan-$1.tar.xz" '$2 == f || $2 == "*" f {print $1}' "$SHARED/SHA256SUMS")
  [ -n "$sha" ] || die "libreswan $1 is not in $SHARED/SHA256SUMS"
  echo "$CACHE/$1-${sha:0:16}"
}

build_all() {
  mkdir -p "$CACHE"
  for v in $VERSIONS; do
    "$SHARED/build.sh" "$v" "$(dest_of "$v")"
  done
}

# Mocha under one libreswan build; counts go to CABLED_SUMMARY_FILE under the label
# (a run that ends without counting, e.g. a crash, counts as one failure).
run_under() {
  local v=$1 label=$2 before=0 rc=0
  shift 2
  [ -z "${CABLED_SUMMARY_FILE:-}" ] || before=$(wc -l < "$CABLED_SUMMARY_FILE")
  CABLED_LIBRESWAN_VERSION=$v CABLED_SUMMARY_LABEL=$label "$SHARED/with-libreswan.sh" "$(dest_of "$v")" "$@" || rc=$?
  if [ -n "${CABLED_SUMMARY_FILE:-}" ] && [ "$(wc -l < "$CABLED_SUMMARY_FILE")" = "$before" ]; then
    echo "{\"label\":\"$label\",\"passes\":0,\"failures\":1,\"pending\":0}" >> "$CABLED_SUMMARY_FILE"
    echo "$label: ended without a test count (exit $rc; counted as 1 failure)"
  fi
  return $rc
}

test_all() {
  build_all
  local rc=0 v t0 unit=() integration=()
  # The libreswan unit tests (parsers, classifier, flags, recovery) and every integration test that drives a real pluto.
  unit=(dist/test/unit/whack/*.test.js dist/test/unit/libreswan/*.test.js)
  integration=(dist/test/integration/libreswan/*.test.js dist/test/integration/engine/libreswan-*.test.js)
  for v in $VERSIONS; do
    t0=$SECONDS
    echo "== libreswan $v: unit and integration tests ($(dest_of "$v"))"
    run_under "$v" "libreswan $v" npx mocha "${unit[@]}" "${integration[@]}" || rc=1
    echo "== libreswan $v: unit and integration tests took $((SECONDS - t0)) s"
    if [ "$v" = "$E2E" ]; then
      t0=$SECONDS
      echo "== libreswan $v: VXLAN over transport mode on the stock kernel (qemu, one boot)"
      CABLED_E2E_SCENARIOS=transport run_under "$v" "libreswan $v e2e" npx mocha --no-config \
        --reporter test/support/summary-reporter.cjs --timeout 900000 \
        --grep 'VXLAN over transport mode' dist/test/e2e/vxlan-transport.test.js || rc=1
      echo "== libreswan $v: e2e took $((SECONDS - t0)) s"
    fi
  done
  return $rc
}

case "${1:-test}" in
  build) build_all ;;
  test) test_all ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac
