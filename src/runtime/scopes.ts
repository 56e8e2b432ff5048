/**
 * Tensor lifetimes by scope (`backend.scope`, in the spirit of tfjs's `tidy`): every tensor made while
 * a scope is open is recorded in it, and when its function returns, those not in the result and
 * not kept are disposed. Returned tensors pass to the enclosing scope.
 */
import { GpuError } from './errors.js';
import { Tensor } from './tensor.js';

export class Scopes {
  /** Tensors made inside each open scope, innermost last. */
  private readonly open: Tensor[][] = [];

  /** Records a new tensor in the innermost open scope (none: the caller owns it). */
  track(t: Tensor): void {
    this.open.at(-1)?.push(t);
  }

  run<T>(fn: () => T): T {
    const made: Tensor[] = [];
    this.open.push(made);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.open.pop();
      free(made, new Set());
      throw e;
    } finally {
      if (this.open.at(-1) === made) this.open.pop();
    }
    if (result instanceof Promise) {
      free(made, new Set());
      throw new GpuError('gpu.scope(fn): fn returned a promise; a scope covers synchronous recording only');
    }
    const returned = new Set<Tensor>();
    collectTensors(result, returned, 0);
    free(made, returned);
    for (const t of made) if (returned.has(t)) this.track(t);
    return result;
  }
}

/** Disposes the tensors of `made` that are neither returned nor kept. */
function free(made: readonly Tensor[], returned: ReadonlySet<Tensor>): void {
  for (const t of made) if (!returned.has(t) && !t.kept) t.dispose();
}

/** The tensors in a scope's result: a tensor, or arrays and plain objects of them (a few levels deep); a view counts as its owner. */
function collectTensors(v: unknown, into: Set<Tensor>, depth: number): void {
  if (v instanceof Tensor) into.add(v.base ?? v);
  else if (depth >= 4 || v === null || typeof v !== 'object') return;
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, into, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, into, depth + 1);
}
