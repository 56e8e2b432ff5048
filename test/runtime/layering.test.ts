/**
 * The module layering of the backend seam: no module below the API imports from src/api/ or
 * src/cli/; layers, models and the neutral ops never import a backend (src/backends/); the runtime
 * (Tensor, Backend, shapes, dtypes) imports nothing above it; backends do not import each other;
 * and the import graph has no cycle.
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

/** A module's relative imports and re-exports, each marked whether it is type-only. */
function imports(f: string): { to: string; typeOnly: boolean }[] {
  const text = readFileSync(f, 'utf8');
  return [...text.matchAll(/(import|export)\s+(type\s+)?([^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/g)].map((m) => {
    const names = /\{([^}]*)\}/.exec(m[3] ?? '')?.[1].split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const typeOnly = !!m[2] || (names.length > 0 && names.every((n) => n.startsWith('type ')) && !/^\s*\w+\s*,/.test(m[3] ?? ''));
    return { to: normalize(join(dirname(f), m[4])).replace(/\.js$/, '.ts'), typeOnly };
  });
}

/**
 * The import graph. `values`: imports that load a module (what orders evaluation, where a cycle is
 * a real tangle). Type-only imports erase at compile time; they count for layering (a layer that
 * names a backend's type depends on it) but not for cycles: an interface and the class it
 * describes (Backend makes Tensors; a Tensor has a Backend) may name each other.
 */
function graph(values = false): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const all = new Set(files(SRC));
  for (const f of all) g.set(f, imports(f).filter((i) => all.has(i.to) && (!values || !i.typeOnly)).map((i) => i.to));
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
    const lower = ['models', 'layers', 'ops', 'runtime', 'backends', 'checkpoints', 'io', 'preprocess', 'tokenizer', 'parity', 'collection'];
    const bad: string[] = [];
    for (const [f, deps] of g) {
      const layer = relative(SRC, f).split('/')[0];
      if (!lower.includes(layer)) continue;
      for (const d of deps) if (/^(api|cli)\//.test(relative(SRC, d))) bad.push(`${relative(SRC, f)} → ${relative(SRC, d)}`);
    }
    expect(g.size).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });

  it('no import cycle (of modules loading each other)', () => {
    expect(cycles(graph(true))).toEqual([]);
  });

  it('layers, models and ops never import a backend; the runtime imports nothing above it', () => {
    const bad: string[] = [];
    for (const [f, deps] of g) {
      const at = relative(SRC, f);
      const layer = at.split('/')[0];
      for (const d of deps) {
        const to = relative(SRC, d);
        if (['layers', 'models', 'ops', 'runtime', 'parity', 'checkpoints'].includes(layer) && to.startsWith('backends/')) bad.push(`${at} → ${to}`);
        if (layer === 'runtime' && !to.startsWith('runtime/')) bad.push(`${at} → ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('backends do not import each other', () => {
    const bad: string[] = [];
    for (const [f, deps] of g) {
      const at = relative(SRC, f);
      const m = /^backends\/(\w+)\//.exec(at);
      if (!m) continue;
      for (const d of deps) {
        const o = /^backends\/(\w+)\//.exec(relative(SRC, d));
        if (o && o[1] !== m[1]) bad.push(`${at} → ${relative(SRC, d)}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
