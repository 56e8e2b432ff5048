/**
 * Where the PyTorch fixtures live: $MOBILECLIP_FIXTURES (set by .ci/run), else ../shared/fixtures
 * beside the checkout. Under CI a missing folder fails the suite instead of skipping it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/io/read-file.js';
import type { SafetensorsFile } from '../../src/io/safetensors.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function locate(): string | null {
  const env = process.env.MOBILECLIP_FIXTURES;
  if (env) {
    if (!existsSync(env)) throw new Error(`MOBILECLIP_FIXTURES=${env} does not exist`);
    return resolve(env);
  }
  const fallback = resolve(repoRoot, '../shared/fixtures');
  if (existsSync(fallback)) return fallback;
  if (process.env.CI) throw new Error('CI: the fixtures folder is missing; set MOBILECLIP_FIXTURES (.ci/run does)');
  return null;
}

export const FIXTURES: string | null = locate();

/** True when fixture-based tests can run; prints why not otherwise (never under CI, which throws above). */
export function haveFixtures(): boolean {
  if (!FIXTURES) console.warn('fixtures not found: set MOBILECLIP_FIXTURES to run the parity tests');
  return FIXTURES !== null;
}

export const fixturePath = (...parts: string[]): string => join(FIXTURES ?? '', ...parts);

export function loadFixture(...parts: string[]): Promise<SafetensorsFile> {
  return readSafetensors(fixturePath(...parts));
}
