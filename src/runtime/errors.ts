/** An error raised by the GPU runtime: a WebGPU validation/out-of-memory error, a lost device, or no adapter. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** Wrong shapes or dtypes passed to a kernel or layer. The message names what was expected and what was given. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export const NO_ADAPTER_HELP =
  'No WebGPU adapter found. In Node this library uses Dawn (the `webgpu` package) over Vulkan: ' +
  'install a Vulkan driver for your GPU, or on a machine without one run `bash scripts/install-vulkan-driver.sh` ' +
  "(installs Mesa's software driver lavapipe). In a browser, use one with WebGPU enabled.";
