#!/usr/bin/env bash
# Installs what scripts/build-jpeg-wasm.mjs compiles libjpeg-turbo with: Debian's clang and lld,
# wasi-libc (the C library for wasm32-wasi), compiler-rt's wasm32 builtins and SIMDe (libsimde-dev:
# header-only, maps libjpeg-turbo's Neon upsampling to wasm simd128). Idempotent: does nothing when
# clang can already link a wasm32-wasi program and SIMDe's Neon header is there. Needed to build or
# test from a checkout; users of the npm package get the built .wasm in dist/ and need none of it.
set -euo pipefail

say() { echo "[install-wasm-toolchain] $*"; }
die() { echo "[install-wasm-toolchain] error: $*" >&2; exit 1; }

can_link() {
  command -v clang >/dev/null 2>&1 || return 1
  local dir
  dir=$(mktemp -d)
  printf '#include <stdlib.h>\nvoid *f(size_t n) { return malloc(n); }\n' >"$dir/t.c"
  clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=f "$dir/t.c" -o "$dir/t.wasm" >/dev/null 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}

has_simde() { [ -f /usr/include/simde/arm/neon.h ]; }

if can_link && has_simde; then
  say "clang links wasm32-wasi and SIMDe is installed already; nothing to do."
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "no wasm32-wasi toolchain and this is not a Debian/Ubuntu machine (no apt-get).
Install clang, lld and a wasi-libc sysroot under /usr (include/wasm32-wasi, lib/wasm32-wasi), then run again."
[ "$(id -u)" = 0 ] && SUDO="" || SUDO="sudo"
say "installing clang, lld, wasi-libc, libclang-rt-14-dev-wasm32 and libsimde-dev"
$SUDO apt-get update -q || die "apt-get update failed (is the network or the Debian mirror reachable?)"
# bookworm's clang is 14; its wasm32 builtins package is versioned.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang lld wasi-libc libclang-rt-14-dev-wasm32 libsimde-dev \
  || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang lld wasi-libc libclang-rt-dev-wasm32 libsimde-dev \
  || die "could not install clang, lld, wasi-libc, the wasm32 compiler-rt builtins and libsimde-dev"
can_link || die "installed the toolchain but clang still cannot link a wasm32-wasi program"
has_simde || die "installed libsimde-dev but /usr/include/simde/arm/neon.h is missing"
say "done: $(clang --version | head -1)"
