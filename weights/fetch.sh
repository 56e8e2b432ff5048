#!/usr/bin/env bash
# Downloads the released MobileCLIP checkpoints and the CLIP BPE vocabulary.
#
#   bash weights/fetch.sh                      # S0 only (the CLI's default model)
#   bash weights/fetch.sh s0 s1 s2 b blt       # Apple's .pt files, converted to safetensors
#   bash weights/fetch.sh MobileCLIP2-S4 MobileCLIP-B-LT   # OpenCLIP checkpoints from the hub
#   bash weights/fetch.sh --from DIR s0 MobileCLIP2-S0     # no download: take the files from DIR
#
# Apple's: weights/mobileclip_<name>.pt (as downloaded) → mobileclip convert → mobileclip_<name>.safetensors.
# OpenCLIP (MobileCLIP-S1 -S2 -B -B-LT, MobileCLIP2-S0 -S2 -S3 -S4 -B -L-14): the hub repo's
# open_clip_config.json and open_clip_model.safetensors in weights/<repo>/ (e.g. weights/MobileCLIP2-S4-OpenCLIP/),
# used as they are (`--model MobileCLIP2-S4` finds them there). With --from, DIR holds the same layout
# (DIR/mobileclip_s0.pt, DIR/MobileCLIP2-S4-OpenCLIP/…). MOBILECLIP_HUB_URL changes the hub (default
# https://huggingface.co). Large files stay out of git (.gitignore).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${MOBILECLIP_WEIGHTS_DIR:-$here}"
base="https://docs-assets.developer.apple.com/ml-research/datasets/mobileclip"
hub="${MOBILECLIP_HUB_URL:-https://huggingface.co}"
vocab_url="https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz"
# Sizes/hashes of the official files are not pinned here: they could not be fetched from this
# build environment. A download is checked for being a complete checkpoint of the named model
# (mobileclip info) instead; add sha256 sums here when known.
declare -A SHA256=()
# The OpenCLIP checkpoints: name → hub repo.
declare -A HUB=(
  [MobileCLIP-S1]=apple/MobileCLIP-S1-OpenCLIP
  [MobileCLIP-S2]=apple/MobileCLIP-S2-OpenCLIP
  [MobileCLIP-B]=apple/MobileCLIP-B-OpenCLIP
  [MobileCLIP-B-LT]=apple/MobileCLIP-B-LT-OpenCLIP
  [MobileCLIP2-S0]=timm/MobileCLIP2-S0-OpenCLIP
  [MobileCLIP2-S2]=timm/MobileCLIP2-S2-OpenCLIP
  [MobileCLIP2-S3]=timm/MobileCLIP2-S3-OpenCLIP
  [MobileCLIP2-S4]=timm/MobileCLIP2-S4-OpenCLIP
  [MobileCLIP2-B]=timm/MobileCLIP2-B-OpenCLIP
  [MobileCLIP2-L-14]=timm/MobileCLIP2-L-14-OpenCLIP
)

from=""
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="$2"; shift 2 ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    s0|s1|s2|b|blt) models+=("$1"); shift ;;
    *)
      if [ -n "${HUB[$1]:-}" ]; then models+=("$1"); shift
      else echo "fetch.sh: unknown argument '$1' (models: s0 s1 s2 b blt ${!HUB[*]})" >&2; exit 2; fi ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(s0)
mkdir -p "$out"

fetch() { # url dest: to a .part file first, so an interrupted download never looks complete
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

apple() { # s0 … blt
  local m="$1" pt="$out/mobileclip_$1.pt"
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
}

openclip() { # MobileCLIP2-S4 …
  local repo="${HUB[$1]}" dir="$out/${HUB[$1]#*/}"
  mkdir -p "$dir"
  for f in open_clip_config.json open_clip_model.safetensors; do
    if [ -n "$from" ]; then
      [ -s "$from/${repo#*/}/$f" ] || { echo "fetch.sh: $from/${repo#*/}/$f not found" >&2; exit 1; }
      [ "$(cd "$from/${repo#*/}" && pwd)/$f" = "$dir/$f" ] || cp "$from/${repo#*/}/$f" "$dir/$f"
    elif [ ! -s "$dir/$f" ]; then
      echo "$1: $hub/$repo/resolve/main/$f"
      fetch "$hub/$repo/resolve/main/$f" "$dir/$f"
    fi
  done
  # One read of the file: printed, and it must name OpenCLIP key names (an HTML error page or another format is refused).
  local info
  info="$(cd "$root" && npx --no-install mobileclip info "$dir/open_clip_model.safetensors")"
  echo "$info"
  grep -q 'OpenCLIP/timm key names' <<<"$info" || { echo "fetch.sh: $dir/open_clip_model.safetensors is not an OpenCLIP checkpoint" >&2; exit 1; }
}

for m in "${models[@]}"; do
  if [ -n "${HUB[$m]:-}" ]; then openclip "$m"; else apple "$m"; fi
done
echo "done: $(cd "$out" && ls -d ./*.safetensors ./*/open_clip_model.safetensors 2>/dev/null | tr '\n' ' ')"
