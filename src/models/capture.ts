/**
 * Named intermediates for parity checks. A model `emit`s each stage output; the caller's Capture
 * may keep it (returning true), and then the model's `release` leaves it alive for the caller to
 * read and dispose. The model's own input is never released.
 */
import type { Tensor } from '../gpu/tensor.js';

/** Receives named intermediates; returning true keeps the tensor alive for the caller (who disposes it). */
export type Capture = (name: string, t: Tensor) => boolean;

export class CaptureScope {
  private readonly kept = new Set<Tensor>();

  constructor(
    private readonly capture: Capture | undefined,
    private readonly input?: Tensor,
  ) {}

  emit(name: string, t: Tensor): void {
    if (this.capture?.(name, t)) this.kept.add(t);
  }

  /** Disposes an intermediate unless it was captured (or is the model's input). */
  release(t: Tensor): void {
    if (t !== this.input && !this.kept.has(t)) t.dispose();
  }
}
