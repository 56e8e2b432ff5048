/** The one check every op makes first: its tensors live on one backend, alive. */
import { ShapeError } from '../runtime/errors.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';

/** The backend of `tensors` (undefined entries skipped); a ShapeError naming the op when they differ. */
export function backendOf(op: string, ...tensors: (Tensor | undefined)[]): Backend {
  let backend: Backend | null = null;
  let first: Tensor | null = null;
  for (const t of tensors) {
    if (!t) continue;
    t.assertAlive();
    if (!backend) [backend, first] = [t.backend, t];
    else if (t.backend !== backend) {
      throw new ShapeError(`${op}: ${first!.label} is on ${backend.kind} (${backend.description}) but ${t.label} is on ${t.backend.kind} (${t.backend.description})`);
    }
  }
  if (!backend) throw new ShapeError(`${op}: no tensor given`);
  return backend;
}
