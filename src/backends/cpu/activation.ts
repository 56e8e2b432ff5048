/** The activations as float64 functions the CPU kernels apply before rounding to float32. */
import type { Activation } from '../../runtime/backend-ops.js';
import { gelu } from './erf.js';

export const relu = (x: number): number => (x > 0 ? x : 0);
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const ACTIVATE: Record<Activation, ((x: number) => number) | null> = { none: null, gelu, relu, sigmoid };
