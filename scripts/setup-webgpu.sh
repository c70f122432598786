#!/usr/bin/env bash
# Installs what the WebGPU tests need on a machine without a GPU (Debian bookworm, run as root, apt only):
#   1. Mesa 25 lavapipe (a CPU Vulkan driver that Dawn accepts; bookworm's own Mesa 22 is rejected) from
#      bookworm-backports, added on the SAME mirror that the machine's apt sources already name;
#   2. the Vulkan loader (libvulkan1);
#   3. Debian's chromium (SwiftShader WebGPU adapter) for the browser test;
# then checks that Node's `webgpu` package (Dawn) gets a non-null adapter.
#
# Idempotent: rerunning it changes nothing when everything is in place. Environment:
#   SIMDCONV_SKIP_CHROMIUM=1   do not install chromium
#   SIMDCONV_SKIP_VERIFY=1     do not run the Node adapter check
# Measured on a 2-core bookworm machine: see the timings the script prints at the end.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-webgpu.sh: run as root (it uses apt-get)" >&2
  exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "bookworm" ]; then
  echo "setup-webgpu.sh: written for Debian bookworm, this is ${PRETTY_NAME:-unknown}" >&2
  exit 1
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
t_start=$(date +%s)
stamp() { echo "[setup-webgpu] $(( $(date +%s) - t_start ))s: $*"; }
export DEBIAN_FRONTEND=noninteractive

# --- 1. the bookworm-backports suite, on the mirror the machine already uses --------------------------------
# The first URI serving the plain `bookworm` suite (deb822 .sources first, then one-line sources.list).
find_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: blank-line separated stanzas; take URIs of a stanza whose Suites contain `bookworm`.
    awk 'BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; suites = ""; enabled = 1
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = " " $i " "; sub(/^Suites:/, "", suites) }
          if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
        }
        if (enabled && suites ~ /[ \t]bookworm[ \t]/) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == "bookworm") { print $i; exit } }' "$f"
  done
}
mirror=$(find_mirror | head -n 1)
if [ -z "$mirror" ]; then
  echo "setup-webgpu.sh: no apt source for the bookworm suite found in /etc/apt" >&2
  exit 1
fi
backports=/etc/apt/sources.list.d/simdconv-bookworm-backports.sources
want=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror")
need_update=0
if ! grep -rqsE '^(Suites:.*[[:space:]]bookworm-backports|deb .* bookworm-backports)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf '%s\n' "$want" > "$backports"
  need_update=1
  stamp "added bookworm-backports on the machine's mirror"
fi

installed_version() { { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } | awk '$3 == "installed" { print $4 }'; }
mesa_version=$(installed_version mesa-vulkan-drivers)
need_mesa=1
case "$mesa_version" in 2[5-9].*|[3-9][0-9].*) need_mesa=0 ;; esac
need_loader=1
[ -n "$(installed_version libvulkan1)" ] && need_loader=0
need_chromium=0
if [ "${SIMDCONV_SKIP_CHROMIUM:-0}" != 1 ] && [ ! -x /usr/bin/chromium ]; then need_chromium=1; fi

if [ $need_mesa = 1 ] || [ $need_loader = 1 ] || [ $need_chromium = 1 ]; then
  if [ $need_update = 1 ] || [ -z "$(ls /var/lib/apt/lists/*bookworm-backports* 2>/dev/null)" ] || [ $need_chromium = 1 ]; then
    apt-get update -q
    stamp "apt-get update"
  fi
fi

# --- 2. lavapipe (Mesa >= 25) and the Vulkan loader ----------------------------------------------------------
if [ $need_mesa = 1 ] || [ $need_loader = 1 ]; then
  apt-get install -y -q --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
  stamp "installed mesa-vulkan-drivers $(installed_version mesa-vulkan-drivers)"
else
  stamp "mesa-vulkan-drivers $mesa_version already installed"
fi

# --- 3. chromium for the browser test ------------------------------------------------------------------------
if [ $need_chromium = 1 ]; then
  apt-get install -y -q --no-install-recommends chromium
  stamp "installed chromium $(installed_version chromium)"
fi

# --- 4. check: Dawn (npm `webgpu`) gets an adapter -----------------------------------------------------------
if [ "${SIMDCONV_SKIP_VERIFY:-0}" != 1 ]; then
  if [ ! -d "$repo/node_modules/webgpu" ]; then
    # CI runs this before `npm ci`; the WebGPU test suite checks the adapter then (SIMDCONV_REQUIRE_WEBGPU=1).
    stamp "node_modules/webgpu not installed yet: adapter check skipped (rerun after npm install to check)"
    stamp "done"
    exit 0
  fi
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/simdconv-xdg}
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  (cd "$repo" && node --input-type=module -e '
    import { create, globals } from "webgpu";
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    if (adapter === null) { console.error("requestAdapter() returned null: no usable Vulkan driver"); process.exit(1); }
    const info = adapter.info ?? {};
    console.log(`[setup-webgpu] adapter: ${info.vendor} / ${info.architecture} / ${info.description} (fallback: ${info.isFallbackAdapter ?? adapter.isFallbackAdapter})`);
    const device = await adapter.requestDevice();
    device.destroy();
  ')
  stamp "Dawn adapter OK"
fi
stamp "done"
