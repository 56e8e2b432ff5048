#!/usr/bin/env bash
# Installs a Vulkan driver that Dawn (the `webgpu` npm package) can use, when the machine has none.
#
# Dawn needs Vulkan 1.1+ with features that Debian bookworm's own Mesa (22.3) lacks, so on a machine
# without a GPU driver we install Mesa's software rasterizer "lavapipe" (mesa-vulkan-drivers 25.x)
# and the Vulkan loader from bookworm-backports. Idempotent: does nothing when a Vulkan device is
# already visible (a real GPU, or lavapipe from an earlier run).
set -euo pipefail

say() { echo "[install-vulkan-driver] $*"; }
die() { echo "[install-vulkan-driver] error: $*" >&2; exit 1; }

# A Vulkan device is present when the loader finds an ICD that enumerates at least one physical
# device. vulkaninfo is optional, so fall back to looking for lavapipe's ICD at a new enough version.
have_vulkan_device() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || return 1
  if command -v vulkaninfo >/dev/null 2>&1 && vulkaninfo --summary 2>/dev/null | grep -q 'deviceName'; then
    return 0
  fi
  # A vendor ICD (NVIDIA's, for example) installed outside dpkg.
  ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1 && return 0
  # lavapipe, new enough for Dawn.
  if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    local v
    v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
    dpkg --compare-versions "$v" ge 24 && return 0
  fi
  return 1
}

if have_vulkan_device; then
  say "a Vulkan driver is already installed; nothing to do."
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "no Vulkan driver found and this is not a Debian/Ubuntu machine (no apt-get).
Install a Vulkan 1.1+ driver for your GPU, or Mesa >= 24 lavapipe (software), then run again."
[ -r /etc/os-release ] && . /etc/os-release
[ "$(id -u)" = 0 ] && SUDO="" || SUDO="sudo"

if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding bookworm-backports to apt sources ($list)"
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$list" >/dev/null
  fi
  say "installing mesa-vulkan-drivers and libvulkan1 from bookworm-backports"
  $SUDO apt-get update -q || die "apt-get update failed (is the network or the Debian mirror reachable?)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q -t bookworm-backports \
    mesa-vulkan-drivers libvulkan1 || die "could not install mesa-vulkan-drivers from bookworm-backports"
else
  say "installing mesa-vulkan-drivers and libvulkan1 from ${PRETTY_NAME:-this distribution}"
  $SUDO apt-get update -q || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q mesa-vulkan-drivers libvulkan1 \
    || die "could not install mesa-vulkan-drivers"
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
  dpkg --compare-versions "$v" ge 24 || die "installed Mesa $v is older than 24, too old for Dawn; install a newer mesa-vulkan-drivers"
fi

have_vulkan_device || die "installed the driver but still see no Vulkan device"
say "done: $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
