/** An error raised by the GPU runtime: a WebGPU validation/out-of-memory error, a lost device, or no adapter. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** Wrong shapes or dtypes passed to a kernel or layer. The message names what was expected and what was given. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** What to do about a missing WebGPU adapter, per platform: the install command, and the CPU backend. */
export const NO_ADAPTER_HELP =
  'No WebGPU adapter found. In Node this library uses Dawn (the `webgpu` package): over Vulkan on Linux, so install ' +
  "your GPU's Vulkan driver or Mesa's (`sudo apt install mesa-vulkan-drivers` on Debian and Ubuntu, " +
  '`sudo dnf install mesa-vulkan-drivers` on Fedora), over Metal on macOS and Direct3D 12 on Windows. In a browser, ' +
  "use one with WebGPU enabled. Or run on the CPU: device: 'cpu' (--device cpu), which device: 'auto' (the default) picks by itself.";
