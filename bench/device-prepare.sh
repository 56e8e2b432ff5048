#!/usr/bin/env bash
# Prepares .device/ here for bench/device.sh on a GPU machine that has neither Node nor npm nor
# the internet (the device tool's H200; carry `.device` with the run). What goes in (~50 MiB; the
# tool carries at most 64 MiB with the working tree):
#   node.xz            this machine's node binary (x86-64), xz-compressed
#   app/               the built CLI and benches (esbuild bundles; `webgpu` external) and
#   app/node_modules/webgpu   Dawn's Node binding's loader; its linux-x64 binary as dawn.node.xz
#   debs/              the Vulkan loader (libvulkan1), unpacked there if the machine has none
#   fixtures/          the tiny parity fixtures (config, weights, inputs, outputs only)
#   s0-reference.json  S0 embeddings with seeded weights, computed here (bench/device-check.ts)
# Needs a checkout with `npm run setup` done and ../shared/fixtures (or MOBILECLIP_FIXTURES).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="${MOBILECLIP_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
[ -d "$fixtures" ] || { echo "device-prepare: no fixtures at $fixtures (set MOBILECLIP_FIXTURES)" >&2; exit 1; }
out=.device
rm -rf "$out"
mkdir -p "$out/app/node_modules/webgpu/dist/linux-x64" "$out/debs" "$out/fixtures"
grep -qxF '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude

# Bundled as scripts/build.mjs bundles the Node CLI (scripts/bundles.mjs' options, webgpu external).
node --input-type=module - <<'JS'
const { build } = await import('esbuild');
const { COMMON } = await import('./scripts/bundles.mjs');
for (const [entry, file] of [['src/cli/run.ts', 'cli.js'], ['bench/device-check.ts', 'check.js'], ['bench/latency.ts', 'latency.js']]) {
  await build({ ...COMMON, platform: 'node', external: ['webgpu'], entryPoints: [entry], outfile: `.device/app/${file}` });
}
JS
echo '{"type":"module"}' > "$out/app/package.json"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/app/node_modules/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"

# The Vulkan loader, as the device README says (a machine without one has the driver's ICD only).
lists=/tmp/mobileclip-apt-amd64
mkdir -p "$lists/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
apt-get $o update -qq >/dev/null && (cd "$out/debs" && apt-get $o download -qq libvulkan1) \
  || echo "device-prepare: could not download libvulkan1; the GPU machine must have a Vulkan loader" >&2

for f in clip-tiny mci-tiny vit-tiny text-causal-tiny text-mct-tiny openclip/oc-mci-tiny openclip/oc-mci3-tiny openclip/oc-vit-mci-tiny openclip/oc-vit-l14-tiny; do
  mkdir -p "$out/fixtures/$f"
  cp "$fixtures/$f/"{config.json,model.safetensors,inputs.safetensors,outputs.safetensors} "$out/fixtures/$f/"
done

xz -dc "$out/dawn.node.xz" > "$out/app/node_modules/webgpu/dist/linux-x64/dawn.node"
node "$out/app/check.js" reference "$out/s0-reference.json" 2>/dev/null
rm "$out/app/node_modules/webgpu/dist/linux-x64/dawn.node"  # travels compressed
du -sh "$out"
echo "device-prepare: ready; run: bash bench/device.sh (on the GPU machine, carrying .device) or bash bench/device.sh --lavapipe (here)"
