/**
 * Named intermediates for parity checks, and the chain of stages a model's forward is. A model
 * offers each stage output to the caller's Capture; one the Capture keeps (returning true) outlives
 * the forward (`backend.keep`) and the caller reads and disposes it.
 */
import type { Tensor } from '../runtime/tensor.js';

/** Receives named intermediates; returning true keeps the tensor alive for the caller (who disposes it). */
export type Capture = (name: string, t: Tensor) => boolean;

const owner = (t: Tensor) => t.base ?? t;

/**
 * A forward's stages in order, from its input: each stage's output replaces the previous one,
 * which is freed as soon as the next is recorded (unless it is the input or was kept), so a
 * forward holds two stage outputs at a time, not all of them. Used inside `backend.scope`, which frees
 * whatever else the stages made.
 */
export class Stages {
  private current: Tensor;

  constructor(
    private readonly capture: Capture | undefined,
    private readonly input: Tensor,
  ) {
    this.current = input;
  }

  /** x ← f(x); the result is offered to the capture as `name` (if given). */
  next(f: (x: Tensor) => Tensor, name?: string): Tensor {
    const prev = this.current;
    this.current = f(prev);
    if (owner(prev) !== owner(this.input) && !owner(prev).kept) prev.dispose();
    if (name) this.offer(name, this.current);
    return this.current;
  }

  /** Offers a tensor to the capture; a kept one outlives every scope. */
  offer(name: string, t: Tensor): void {
    offerToCapture(this.capture, name, t);
  }
}

/** Offers `t` to `capture` as `name`; kept, it outlives every scope (the caller disposes it). Returns t. */
export function offerToCapture(capture: Capture | undefined, name: string, t: Tensor): Tensor {
  if (capture?.(name, t)) t.backend.keep(t);
  return t;
}
