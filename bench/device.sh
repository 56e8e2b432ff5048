#!/usr/bin/env bash
# One GPU run, prepared by bench/device-prepare.sh: parity on the tiny fixtures, the S0 check
# (seeded weights against this project's lavapipe run), `mobileclip bench` for S0, S2, B and the
# MobileCLIP2 models at batch 1, 8 and 64 in f32 and f16, and bench:latency for S0 with the GPU's
# GEMM (workgroup tiles) and without; tables and JSON into $OUT (8 files: the device tool's limit),
# each step under a timeout (parity 20 s a fixture, bench 270 s, latency 100 + 60 s: under the
# tool's 10 minutes a command). Installs nothing from the
# internet: node, the app and the Vulkan loader come from .device/.
#   bash bench/device.sh              # the GPU machine (device tool: carry .device)
#   bash bench/device.sh --lavapipe   # here, on lavapipe: the same steps at small sizes (~1 min)
set -uo pipefail
cd "$(dirname "$0")/.."
lavapipe=0
[ "${1:-}" = "--lavapipe" ] && lavapipe=1
OUT="${OUT:-$(pwd)/bench/results/device}"
mkdir -p "$OUT"
log="$OUT/log.txt"
: > "$log"
say() { echo "[device] $*" | tee -a "$log"; }
[ -d .device/app ] || { say "no .device/: run bash bench/device-prepare.sh first (here, where npm is)"; exit 1; }

# Node: the machine's if it is ≥ 20, else the one prepared here.
NODE=$(command -v node || true)
if [ -z "$NODE" ] || [ "$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  xz -dc .device/node.xz > /tmp/mobileclip-node && chmod +x /tmp/mobileclip-node && NODE=/tmp/mobileclip-node
fi
say "node $("$NODE" --version) at $NODE"
dawn=.device/app/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -dc .device/dawn.node.xz > "$dawn"

# Vulkan: the loader from .device/debs when the machine has none; NVIDIA's ICD where it lives.
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in .device/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  say "Vulkan loader unpacked from .device/debs"
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && [ ! -e /usr/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$log"

status=0

# 1. Parity on the tiny fixtures, then the S0 check.
fixtures=(.device/fixtures/*-tiny .device/fixtures/openclip/*-tiny)
[ $lavapipe = 1 ] && fixtures=(.device/fixtures/clip-tiny .device/fixtures/openclip/oc-vit-mci-tiny)
echo '[' > "$OUT/parity.json"
first=1
for f in "${fixtures[@]}"; do
  r=$(timeout 20 "$NODE" .device/app/cli.js parity "$f" --json 2>>"$log") || { status=1; say "parity FAILED: $f"; }
  [ $first = 1 ] || echo ',' >> "$OUT/parity.json"
  first=0
  echo "{\"fixture\": \"${f#.device/fixtures/}\", \"result\": ${r:-null}}" >> "$OUT/parity.json"
  summary=$(printf '%s' "${r:-null}" | "$NODE" -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);if(!j){console.log("no result");return;}const w=j.tensors.reduce((m,t)=>(t.rel>m.rel?t:m),{rel:0,name:"-"});console.log(`${j.ok?"ok":"FAIL"}, ${j.tensors.length} tensors, worst ${w.name} rel ${w.rel.toExponential(2)}`);});')
  say "parity ${f#.device/fixtures/}: $summary"
done
echo ']' >> "$OUT/parity.json"
"$NODE" .device/app/check.js compare .device/s0-reference.json "$OUT/s0-check.json" 2>>"$log" | tee -a "$log" || status=1

# 2. mobileclip bench: the tables and JSON.
if [ $lavapipe = 1 ]; then
  models=s0; batches=1; dtypes=f32,f16; repeats=2; calls=5
else
  models=s0,s2,b,MobileCLIP2-S3,MobileCLIP2-S4,MobileCLIP2-L-14; batches=1,8,64; dtypes=f32,f16; repeats=3; calls=30
fi
args=(--models "$models" --image-batches "$batches" --text-batches "$batches" --dtypes "$dtypes" --repeats "$repeats")
timeout 270 "$NODE" .device/app/cli.js bench "${args[@]}" --json > "$OUT/bench.json" 2>>"$log" || { status=1; say "bench failed or timed out"; }
# The JSON's rows as a table (one run, both forms).
"$NODE" -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`adapter: ${j.adapter}`);console.log(`GEMM peak: ${j.gemmPeak.gflops.toFixed(1)} GFLOP/s`);console.table(j.rows.map((r)=>({model:r.model,tower:r.tower,batch:r.batch,dtype:r.dtype,"cold ms":Math.round(r.coldMs),"median ms":+r.medianMs.toFixed(3),"items/s":Math.round(r.itemsPerSecond),"GFLOP/s":+r.gflops.toFixed(1),"peak MiB":Math.round(r.peakBytes/2**20)})));' "$OUT/bench.json" > "$OUT/bench.txt" 2>>"$log" || say "bench.json has no rows"

# 3. Latency as a caller feels it: S0 image and text, first / first warm / median / p10 / p90, each
# beside fixed work of the same length (--floor) and, with timestamp queries, its GPU span.
lat=image:1,text:1; [ $lavapipe = 1 ] || lat=image:1,image:8,image:64,text:1,text:8,text:64
timeout 100 "$NODE" .device/app/latency.js --cases=$lat --calls=$calls --floor --json="$OUT/latency.json" > "$OUT/latency.txt" 2>>"$log" || { status=1; say "latency failed"; }

# 4. The GEMM choice: hardware adapters take the workgroup-tiled GEMM; the same S0 cases with it off
# (the subgroup GEMM at the adapter's probed lane count, else the blocked one) say whether it should.
lat2=image:1,text:1; [ $lavapipe = 1 ] || lat2=image:1,image:64,text:64
{ echo; echo "## --off=tiledGemm"; timeout 60 "$NODE" .device/app/latency.js --cases=$lat2 --calls=$calls --off=tiledGemm 2>&1; } >> "$OUT/latency.txt" || { status=1; say "latency --off=tiledGemm failed"; }

{
  echo "# device run ($( [ $lavapipe = 1 ] && echo lavapipe || echo GPU ))"
  echo; grep -h '^\[device\]' "$log"; echo
  echo '## bench'; echo '```'; cat "$OUT/bench.txt"; echo '```'
  echo '## latency'; echo '```'; cat "$OUT/latency.txt"; echo '```'
} > "$OUT/summary.md"
say "done (status $status): $(ls "$OUT" | tr '\n' ' ')"
exit $status
