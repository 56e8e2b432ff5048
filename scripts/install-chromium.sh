#!/usr/bin/env bash
# Installs Debian's Chromium for the real-browser tests (test/browser), when it is missing.
#
# The tests drive it through playwright-core (a devDependency that downloads no browser), pointed at
# this executable. Idempotent: does nothing when a Chromium is already there. MOBILECLIP_CHROMIUM
# names another executable; MOBILECLIP_SKIP_CHROMIUM=1 skips the install (the browser suite then
# skips outside CI and fails under CI=true).
set -euo pipefail

say() { echo "[install-chromium] $*"; }
die() { echo "[install-chromium] error: $*" >&2; exit 1; }

if [ "${MOBILECLIP_SKIP_CHROMIUM:-}" = 1 ]; then say "MOBILECLIP_SKIP_CHROMIUM=1: skipped."; exit 0; fi
for exe in "${MOBILECLIP_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$exe" ] && [ -x "$exe" ]; then say "$exe is already installed; nothing to do."; exit 0; fi
done

command -v apt-get >/dev/null 2>&1 || die "no Chromium found and this is not a Debian/Ubuntu machine (no apt-get).
Install Chromium (or Chrome) and set MOBILECLIP_CHROMIUM to its executable, or MOBILECLIP_SKIP_CHROMIUM=1."
[ "$(id -u)" = 0 ] && SUDO="" || SUDO="sudo"
say "installing Debian's chromium"
$SUDO apt-get update -q || die "apt-get update failed (is the network or the Debian mirror reachable?)"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core \
  || die "could not install chromium"
[ -x /usr/bin/chromium ] || die "installed chromium but /usr/bin/chromium is missing"
say "done: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
