#!/usr/bin/env bash
# The cabled demo, on this machine (as root): two network namespaces stand in
# for the gateway nodes of two clusters, joined by a veth pair. One cabled
# engine runs in each, with the plain VXLAN driver as a child process and one
# endpoints file naming both gateways. It waits until both sides report the
# cable connected, shows cablectl's view, pings from cluster1's subnet to
# cluster2's across the overlay, then stops both engines with cleanup and
# checks that nothing is left behind. Then the same two gateways with the
# libreswan driver in VXLAN-over-transport mode (each engine starts its own
# pluto): IKE comes up, and because this machine's kernel has no ESP both
# engines' cablectl show IKE established with the peer and why each Child SA
# is not up (refused by this kernel, or by the peer's), never "connected".
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "install what the demo needs: apt packages if missing, npm packages, build (about a minute the first time)"
bash scripts/install-deps.sh

NS1=cabled-demo-cluster1 NS2=cabled-demo-cluster2
WORK=$(mktemp -d /tmp/cabled-demo.XXXXXX)
CABLED="node dist/src/engine/main.js"
CTL="node dist/src/cli/main.js"
pids=()

teardown() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS1" 2>/dev/null || true
  ip netns del "$NS2" 2>/dev/null || true
  rm -rf "$WORK"
}
trap teardown EXIT

step "two 'gateway nodes': namespaces $NS1 and $NS2, joined by a veth pair"
ip netns add "$NS1"; ip netns add "$NS2"
ip link add cabled-demo-a type veth peer name cabled-demo-b
ip link set cabled-demo-a netns "$NS1"; ip link set cabled-demo-b netns "$NS2"
ip -n "$NS1" addr add 172.30.0.1/24 dev cabled-demo-a; ip -n "$NS2" addr add 172.30.0.2/24 dev cabled-demo-b
ip -n "$NS1" link set cabled-demo-a up; ip -n "$NS2" link set cabled-demo-b up
ip -n "$NS1" link set lo up; ip -n "$NS2" link set lo up
# An address in each cluster's subnet (no dummy links on this kernel: lo will do).
ip -n "$NS1" addr add 10.1.0.1/32 dev lo; ip -n "$NS2" addr add 10.2.0.1/32 dev lo

step "an endpoints file naming both gateways (each engine skips its own cluster)"
cat > "$WORK/endpoints.yaml" <<'YAML'
- cluster_id: cluster1
  hostname: gateway-1
  private_ip: 172.30.0.1
  subnets: [10.1.0.0/16]
  backend: vxlan
- cluster_id: cluster2
  hostname: gateway-2
  private_ip: 172.30.0.2
  subnets: [10.2.0.0/16]
  backend: vxlan
YAML
cat "$WORK/endpoints.yaml"

step "start one engine per namespace"
ip netns exec "$NS1" $CABLED run --cluster-id cluster1 --private-ip 172.30.0.1 --subnets 10.1.0.0/16 \
  --endpoints "$WORK/endpoints.yaml" --run-dir "$WORK/run1" --cleanup-on-exit 2>"$WORK/engine1.log" &
pids+=($!)
ip netns exec "$NS2" $CABLED run --cluster-id cluster2 --private-ip 172.30.0.2 --subnets 10.2.0.0/16 \
  --endpoints "$WORK/endpoints.yaml" --run-dir "$WORK/run2" --cleanup-on-exit 2>"$WORK/engine2.log" &
pids+=($!)

step "wait until both engines are healthy (every desired cable installed)"
for i in $(seq 1 100); do
  if $CTL --socket "$WORK/run1/engine.sock" health >/dev/null 2>&1 && $CTL --socket "$WORK/run2/engine.sock" health >/dev/null 2>&1; then
    break
  fi
  [ "$i" = 100 ] && { echo "engines did not become healthy; logs:"; tail -n 20 "$WORK"/engine*.log; exit 1; }
  sleep 0.2
done
echo "both SERVING"

step "cablectl status (cluster1)"
$CTL --socket "$WORK/run1/engine.sock" status
step "cablectl connections (cluster1, then cluster2)"
$CTL --socket "$WORK/run1/engine.sock" connections
$CTL --socket "$WORK/run2/engine.sock" connections

step "what the kernel holds in $NS1"
ip -n "$NS1" -d link show vxlan-tunnel | sed -n '1,3p'
bridge -n "$NS1" fdb show dev vxlan-tunnel | grep 00:00:00:00:00:00
ip -n "$NS1" route show table 100
ip -n "$NS1" rule show | grep 'lookup 100'

step "ping from cluster1's subnet (10.1.0.1) to cluster2's (10.2.0.1) across the overlay"
ip netns exec "$NS1" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1

step "stop both engines (--cleanup-on-exit) and check nothing is left"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()
left=$( (ip -n "$NS1" link show vxlan-tunnel; ip -n "$NS1" route show table 100; ip -n "$NS1" rule show | grep 'lookup 100') 2>/dev/null || true)
if [ -n "$left" ]; then echo "left behind: $left"; exit 1; fi
echo "clean: no device, no table-100 routes, no rule"
step "the same gateways with the libreswan driver, VXLAN over IPsec transport mode"
ls_start=$SECONDS
for i in 1 2; do
  mkdir -p "$WORK/config$i"
  printf 'ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "demo-psk-0123456789abcdef0123456789abcdef"\n' > "$WORK/config$i/ceCustomConfig"
done
sed -i 's/backend: vxlan/backend: libreswan/' "$WORK/endpoints.yaml"
ip netns exec "$NS1" $CABLED run --driver libreswan --config "$WORK/config1" --cluster-id cluster1 --private-ip 172.30.0.1 \
  --subnets 10.1.0.0/16 --endpoints "$WORK/endpoints.yaml" --run-dir "$WORK/ls1" --cleanup-on-exit 2>"$WORK/engine1-ls.log" &
pids+=($!)
ip netns exec "$NS2" $CABLED run --driver libreswan --config "$WORK/config2" --cluster-id cluster2 --private-ip 172.30.0.2 \
  --subnets 10.2.0.0/16 --endpoints "$WORK/endpoints.yaml" --run-dir "$WORK/ls2" --cleanup-on-exit 2>"$WORK/engine2-ls.log" &
pids+=($!)
echo "waiting (at most 60 s) until both engines report, per SA, IKE established and why the Child SA is not..."
# Settled when a side's wide view shows its cable's IKE SA established with the peer (every SA's
# ike_state, the IKE column) and no SA still pending; what is shown below is that same cablectl output.
settled() { grep -qE " {2,}established $2 " <<<"$1" && ! grep -qE "esp-transport +pending" <<<"$1"; }
t0=$SECONDS
while :; do
  wide1=$($CTL --socket "$WORK/ls1/engine.sock" connections -o wide 2>/dev/null || true)
  wide2=$($CTL --socket "$WORK/ls2/engine.sock" connections -o wide 2>/dev/null || true)
  if settled "$wide1" 172.30.0.2 && settled "$wide2" 172.30.0.1; then break; fi
  if [ $((SECONDS - t0)) -ge 60 ]; then echo "not settled after 60 s; showing what the engines say now"; break; fi
  sleep 0.5
done
echo "(after $((SECONDS - t0)) s)"
step "cablectl connections -o wide (cluster1: it initiated)"
echo "$wide1"
step "cablectl connections -o wide (cluster2: it responded)"
echo "$wide2"
echo "(IKE column and ike_state come from pluto's --showstates; each SA's message says why its Child SA is not up:"
echo " this kernel has no ESP, so the responder's kernel refused it and the initiator heard the refusal from its peer."
echo " Nothing claims 'connected'; the encrypted data path is proven on a stock kernel by the end-to-end tests)"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()
echo "(libreswan half: $((SECONDS - ls_start)) s)"

echo
echo "demo complete"
