#!/usr/bin/env bash
# Downloads the official MobileCLIP checkpoints and the CLIP BPE vocabulary, and converts each
# checkpoint to safetensors (f32, re-parameterised) with `mobileclip convert`.
#
#   bash weights/fetch.sh                 # S0 only (the CLI's default model)
#   bash weights/fetch.sh s0 s1 s2 b blt  # any of them
#   bash weights/fetch.sh --from DIR s0   # no download: take DIR/mobileclip_s0.pt (offline machines)
#
# Output in weights/: mobileclip_<name>.pt (as downloaded), mobileclip_<name>.safetensors,
# bpe_simple_vocab_16e6.txt.gz. Large files stay out of git (.gitignore).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${MOBILECLIP_WEIGHTS_DIR:-$here}"
base="https://docs-assets.developer.apple.com/ml-research/datasets/mobileclip"
vocab_url="https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz"
# Sizes/hashes of the official files are not pinned here: they could not be fetched from this
# build environment. A download is checked for being a torch zip archive and a complete
# checkpoint of the named model (mobileclip info) instead; add sha256 sums here when known.
declare -A SHA256=()

from=""
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="$2"; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    s0|s1|s2|b|blt) models+=("$1"); shift ;;
    *) echo "fetch.sh: unknown argument '$1' (models: s0 s1 s2 b blt)" >&2; exit 2 ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(s0)
mkdir -p "$out"

fetch() { # url dest
  if command -v curl >/dev/null; then curl -fL --retry 3 -o "$2.part" "$1"
  elif command -v wget >/dev/null; then wget -O "$2.part" "$1"
  else echo "fetch.sh: needs curl or wget" >&2; exit 1; fi
  mv "$2.part" "$2"
}

if [ ! -s "$out/bpe_simple_vocab_16e6.txt.gz" ]; then
  if [ -n "$from" ] && [ -s "$from/bpe_simple_vocab_16e6.txt.gz" ]; then cp "$from/bpe_simple_vocab_16e6.txt.gz" "$out/"
  elif [ -z "$from" ]; then echo "vocabulary: $vocab_url"; fetch "$vocab_url" "$out/bpe_simple_vocab_16e6.txt.gz"
  else echo "fetch.sh: no bpe_simple_vocab_16e6.txt.gz in $from (text encoding will need it)" >&2; fi
fi

for m in "${models[@]}"; do
  pt="$out/mobileclip_$m.pt"
  if [ -n "$from" ]; then
    [ -s "$from/mobileclip_$m.pt" ] || { echo "fetch.sh: $from/mobileclip_$m.pt not found" >&2; exit 1; }
    [ "$(cd "$from" && pwd)/mobileclip_$m.pt" = "$pt" ] || cp "$from/mobileclip_$m.pt" "$pt"
  elif [ ! -s "$pt" ]; then
    echo "mobileclip_$m: $base/mobileclip_$m.pt"
    fetch "$base/mobileclip_$m.pt" "$pt"
  fi
  if [ -n "${SHA256[$m]:-}" ]; then
    echo "${SHA256[$m]}  $pt" | sha256sum -c - || { echo "fetch.sh: $pt does not match its known sha256" >&2; exit 1; }
  fi
  (cd "$root" && npx --no-install mobileclip info "$pt")
  (cd "$root" && npx --no-install mobileclip convert "$pt" "$out/mobileclip_$m.safetensors" --reparam)
done
echo "done: $(ls "$out"/*.safetensors 2>/dev/null | tr '\n' ' ')"
