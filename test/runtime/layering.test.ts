/**
 * The module layering the backend seam builds on: no module below the API (models, layers,
 * checkpoints, io, gpu, kernels, preprocess, tokenizer, parity) imports from src/api/ or
 * src/cli/, and the import graph has no cycle but the one the seam is to remove (the runtime's
 * Tensor ↔ Gpu), named here so a new cycle fails.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each module's relative imports and re-exports (type-only ones included: they tie the layers too). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const all = new Set(files(SRC));
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/g)].map((m) => normalize(join(dirname(f), m[1])).replace(/\.js$/, '.ts'));
    g.set(f, deps.filter((d) => all.has(d)));
  }
  return g;
}

/** The strongly connected components of more than one module (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let i = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.map((c) => relative(SRC, c)).sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('module layering', () => {
  const g = graph();

  it('no module below the API imports from src/api/ or src/cli/', () => {
    const lower = ['models', 'layers', 'checkpoints', 'io', 'gpu', 'kernels', 'preprocess', 'tokenizer', 'parity'];
    const bad: string[] = [];
    for (const [f, deps] of g) {
      const layer = relative(SRC, f).split('/')[0];
      if (!lower.includes(layer)) continue;
      for (const d of deps) if (/^(api|cli)\//.test(relative(SRC, d))) bad.push(`${relative(SRC, f)} → ${relative(SRC, d)}`);
    }
    expect(g.size).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });

  it('no import cycle but the runtime one the backend seam removes', () => {
    expect(cycles(g)).toEqual([['gpu/dispatch.ts', 'gpu/gpu.ts', 'gpu/scopes.ts', 'gpu/tensor.ts']]);
  });
});
