/**
 * Waiting for the GPU without spinning a core. Dawn's Node binding waits for a pending mapAsync /
 * onSubmittedWorkDone by re-scheduling its event processing with `setImmediate`, so the event loop
 * spins (tens of thousands of turns a second) and takes a core from a CPU rasterizer such as
 * lavapipe, which runs the GPU work on those same cores. While one of our waits is pending, the
 * binding's `setImmediate` goes through `setTimeout(…, 0)` instead: it polls about once a
 * millisecond, so a result is seen within about a millisecond of the work ending, with no duration
 * to guess or learn. Other `setImmediate` callbacks in that window run after ≤ 1 ms too. Where
 * there is no `setImmediate` (browsers), the wait is left as it is.
 */
type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

let waits = 0;
let original: Immediate | null = null;

export async function pacedWait<T>(start: () => Promise<T>): Promise<T> {
  const g = globalThis as unknown as { setImmediate?: Immediate };
  if (typeof g.setImmediate !== 'function') return start();
  if (waits++ === 0) {
    original = g.setImmediate;
    g.setImmediate = (callback, ...args) => setTimeout(callback, 0, ...args);
  }
  try {
    return await start();
  } finally {
    if (--waits === 0) {
      g.setImmediate = original!;
      original = null;
    }
  }
}
