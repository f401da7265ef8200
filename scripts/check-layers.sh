#!/usr/bin/env bash
# The layering check (`npm run layers`; CI runs it before the build). Fails on any import cycle or
# forbidden import (rules and reasons: .dependency-cruiser.cjs), and on product code outside
# src/lib/whack that names the whack or addconn binaries. Argument: the tree to check (default: this
# repository; the tests point it at fixtures that break each rule).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "${1:-$repo}" && pwd)"
cd "$root"
start=$SECONDS
status=0

dirs=()
for d in src drivers lab bench test; do [ -d "$d" ] && dirs+=("$d"); done
"$repo/node_modules/.bin/depcruise" --config "$repo/.dependency-cruiser.cjs" --output-type err "${dirs[@]}" || status=1

# Only src/lib/whack runs whack or addconn: a string literal naming either binary elsewhere in product code.
product=()
for d in src drivers lab bench; do [ -d "$d" ] && product+=("$d"); done
if [ "${#product[@]}" -gt 0 ]; then
  named="$(grep -rnE --include='*.ts' "['\"\`](/usr/(libexec|sbin)/ipsec/)?(whack|addconn)['\"\` ]|ipsec/(whack|addconn)" "${product[@]}" \
    | grep -v '^src/lib/whack/' | grep -vE '^[^:]+:[0-9]+:\s*(//|\*|/\*)' || true)"
  if [ -n "$named" ]; then
    echo "only src/lib/whack may run whack or addconn (use its adapter):"
    echo "$named" | sed 's/^/  /'
    status=1
  fi
fi

if [ "$status" = 0 ]; then echo "layers: no cycles, no forbidden imports ($((SECONDS - start)) s)"; fi
exit "$status"
