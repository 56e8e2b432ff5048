/**
 * The API's options and arguments, checked at the door: anything out of range is an OptionError
 * naming the option, the accepted range and what was given, before any work (not an internal
 * ShapeError, a RangeError from a typed array, or a silent default).
 */
import { describeValue } from '../preprocess/image-input.js';
import { MAX_TEMPLATES, type Templates } from './templates.js';

export class OptionError extends TypeError {
  override name = 'OptionError';
}

export const MAX_BATCH = 4096;

/** A value as the error shows it: numbers and strings as written, lists and objects by kind. */
const show = (v: unknown): string =>
  typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : Array.isArray(v) ? (v.length ? `an array of ${v.length}` : 'an empty array') : describeValue(v);

const fail = (where: string, name: string, range: string, got: unknown): never => {
  throw new OptionError(`${where}: ${name} must be ${range}, got ${show(got)}`);
};

/** An optional integer in lo..hi. */
export function optionalInteger(where: string, name: string, v: unknown, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return fail(where, name, `an integer from ${lo} to ${hi}`, v);
  return v;
}

export function optionalBoolean(where: string, name: string, v: unknown): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  return fail(where, name, 'true or false', v);
}

export function optionalFunction<F>(where: string, name: string, v: unknown): F | undefined {
  if (v === undefined || typeof v === 'function') return v as F | undefined;
  return fail(where, name, 'a function', v);
}

/** An options argument: undefined or a plain object. */
export function optionsObject(where: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, 'the options', 'an object', v);
  return v as Record<string, unknown>;
}

/** 'none' | 'photo' | 'ensemble' | a list of templates, each with {} where the label goes. */
export function checkTemplates(where: string, v: unknown): Templates {
  if (v === undefined) return 'none';
  if (v === 'none' || v === 'photo' || v === 'ensemble') return v;
  if (Array.isArray(v) && v.length > 0 && v.length <= MAX_TEMPLATES && v.every((t) => typeof t === 'string' && t.includes('{}'))) return v as string[];
  return fail(where, 'templates', "'none', 'photo', 'ensemble' or a non-empty list of strings that each contain {}", v);
}

/** A non-empty list of non-empty label strings. */
export function checkLabels(where: string, v: unknown): readonly string[] {
  if (!Array.isArray(v)) return fail(where, 'labels', 'an array of strings', v);
  if (v.length === 0) return fail(where, 'labels', 'a non-empty array of strings', v);
  const bad = v.findIndex((l) => typeof l !== 'string' || l.trim() === '');
  if (bad >= 0) return fail(where, `label ${bad}`, 'a non-empty string', v[bad]);
  return v;
}

/** A non-empty list (of images). */
export function checkList<T>(where: string, name: string, v: unknown): readonly T[] {
  if (!Array.isArray(v)) return fail(where, name, 'an array', v);
  if (v.length === 0) return fail(where, name, 'a non-empty array', v);
  return v as T[];
}
