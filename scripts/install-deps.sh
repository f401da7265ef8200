#!/usr/bin/env bash
# Installs what cabled's demo and tests need on a Debian/Ubuntu machine (run as root):
# iproute2 and ping (the tests read kernel state and send traffic with them), libreswan
# (pluto and whack, driven by the libreswan driver), tcpdump (wire captures in the
# fail-closed tests), openssl (certificates for the API's mutual-TLS tests), and for the stock-kernel end-to-end tests (test/e2e) qemu-system-x86,
# busybox-static, kmod (modprobe, depmod), cpio and iperf3, and ethtool (cross-checks of the offload-NIC labeler),
# python3-grpcio and python3-protobuf (a reflection client not written in TypeScript); then the npm packages, then a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "run as root: cabled programs network namespaces, links and routes" >&2
  exit 2
fi

need=()
for pkg_cmd in iproute2:ip iputils-ping:ping libreswan:/usr/libexec/ipsec/pluto tcpdump:tcpdump openssl:openssl \
    qemu-system-x86:qemu-system-x86_64 busybox-static:/bin/busybox kmod:depmod cpio:cpio iperf3:iperf3 ethtool:ethtool; do
  command -v "${pkg_cmd#*:}" >/dev/null 2>&1 || need+=("${pkg_cmd%%:*}")
done
/usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1 || need+=(python3-grpcio python3-protobuf)

# Runs a long step and shows that it is alive: its label at once, a dot every 5 s, then how long it took.
step() {
  local label=$1 start=$SECONDS rc=0 ticker
  shift
  printf '== %s ' "$label"
  (while sleep 5; do printf '.'; done) &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" = 0 ]; then echo " done in $((SECONDS - start)) s"; else echo " FAILED (exit $rc) after $((SECONDS - start)) s"; fi
  return "$rc"
}

quiet() { "$@" >/dev/null; }

if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get update -qq
  step "apt-get install ${need[*]}" quiet apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# npm ci wipes node_modules and reinstalls; skip it when node_modules was installed from this very lockfile
# (CABLED_FORCE_NPM_CI=1 runs it anyway).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${CABLED_FORCE_NPM_CI:-0}" != 1 ] && [ "$(cat node_modules/.cabled-lock-sha256 2>/dev/null)" = "$lock_sum" ]; then
  echo "== npm packages: up to date with package-lock.json (node_modules/.cabled-lock-sha256)"
else
  step "npm ci (the npm packages)" npm ci --no-audit --no-fund --loglevel=error
  if [ -d node_modules ]; then echo "$lock_sum" > node_modules/.cabled-lock-sha256; fi
fi
if [ "${CABLED_LINT:-0}" = 1 ]; then # scripts/test.sh (CI) checks the code before it builds it
  echo "== lint (Biome: format and lint; 'npm run format' fixes what it can)"
  lint_start=$SECONDS
  npm run --silent lint
  echo "lint: clean in $((SECONDS - lint_start)) s"
  echo "== layers (no import cycles, no forbidden imports: .dependency-cruiser.cjs)"
  bash scripts/check-layers.sh
fi
step "build (tsc)" npm run --silent build
