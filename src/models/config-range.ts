/**
 * Range checks for model descriptions: the error names the field as the config spells it, the
 * value and the range. The ranges are generous: MobileCLIP's largest tower is 1024 wide and 24
 * layers deep.
 */
export class ConfigRangeError extends RangeError {
  override name = 'ConfigRangeError';
}

export const LIMITS = {
  width: 8192,
  layers: 256,
  heads: 256,
  vocab: 1 << 20,
  context: 4096,
  ratio: 16,
  stages: 8,
  blocksPerStage: 128,
  kernel: 31,
  stride: 64,
  positions: 1 << 20,
} as const;

/** `value` must be an integer in lo..hi; `field` names it as the config spells it. */
export function integerIn(where: string, field: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) throw new ConfigRangeError(`${where}: ${field} is ${JSON.stringify(value)}; it must be an integer from ${lo} to ${hi}`);
  return value;
}

/** `value` must be a finite number in (0, hi]. */
export function positiveUpTo(where: string, field: string, value: unknown, hi: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > hi) throw new ConfigRangeError(`${where}: ${field} is ${JSON.stringify(value)}; it must be a number above 0 and at most ${hi}`);
  return value;
}
