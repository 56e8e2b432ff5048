/**
 * 2-D convolution on NCHW on the CPU, for every conv but the 1×1 stride-1 ones (GEMMs):
 *  - dense (groups = 1): im2col, then the GEMM (its packed SIMD kernel and bias/activation
 *    epilogue) with the weight [Cout, Cin·KH·KW] as A, packed once;
 *  - one input channel per output (depthwise, and the ×2 expanding convs) at strides 1 and 2:
 *    the SIMD plane kernel on a zero-padded copy of each input plane, four outputs per step, the
 *    output planes split over the threads;
 *  - anything else (grouped convs with several inputs per output, other strides), or no SIMD: the
 *    direct loop — for each output plane, each (input channel, tap) adds weight × a strided input
 *    row segment to the plane's rows, padding bounds computed once per tap.
 * Cost: 2·N·Cout·OH·OW·(Cin/groups)·KH·KW flops.
 */
import type { Conv2dGeometry } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { CpuBackend } from './cpu-backend.js';
import { ACTIVATE } from './activation.js';
import { gemm } from './gemm.js';
import { DEPTHWISE_FIELDS, wasmKernels } from './wasm-kernels.js';
import { countFlops } from './flop-count.js';

export function conv2d(xt: Tensor, wt: Tensor, g: Conv2dGeometry): Tensor {
  const kernels = wasmKernels();
  if (kernels && g.groups === 1) return viaIm2col(xt, wt, g); // the GEMM counts its FLOPs
  countFlops(xt, 2 * g.n * g.cout * g.oh * g.ow * g.cinPerGroup * g.kh * g.kw);
  const [sh, sw] = g.stride;
  if (kernels && g.cinPerGroup === 1 && sh === sw && (sh === 1 || sh === 2)) return depthwise(xt, wt, g, sh);
  return direct(xt, wt, g);
}

/** Dense conv as weight [Cout, K] · columns [K, OH·OW] per image, K = Cin·KH·KW. */
function viaIm2col(xt: Tensor, wt: Tensor, g: Conv2dGeometry): Tensor {
  const { n, cin, h, w, cout, kh, kw, oh, ow } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.pad;
  const K = cin * kh * kw;
  const N = oh * ow;
  const backend = xt.backend;
  const x = xt.storage as Float32Array;
  // The output columns each kernel column reads inside the input (the rest stay zero: padding).
  const oxFrom = new Int32Array(kw);
  const oxTo = new Int32Array(kw);
  for (let kx = 0; kx < kw; kx++) {
    oxFrom[kx] = Math.min(ow, Math.max(0, Math.ceil((pw - kx) / sw)));
    oxTo[kx] = Math.max(oxFrom[kx], Math.min(ow, Math.floor((w - 1 + pw - kx) / sw) + 1));
  }
  return backend.scope(() => {
    const colsT = backend.empty([n, K, N], 'f32', 'im2col');
    const cols = colsT.storage as Float32Array;
    for (let b = 0; b < n; b++) {
      for (let ic = 0; ic < cin; ic++) {
        const plane = (b * cin + ic) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const [from, to] = [oxFrom[kx], oxTo[kx]];
            const row0 = (b * K + (ic * kh + ky) * kw + kx) * N;
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - ph + ky;
              if (iy < 0 || iy >= h) continue; // a padding row: stays zero
              const src = plane + iy * w + kx - pw;
              const dst = row0 + oy * ow;
              for (let ox = from; ox < to; ox++) cols[dst + ox] = x[src + ox * sw];
            }
          }
        }
      }
    }
    return gemm({
      a: wt, b: colsT, bLayout: 'kn', M: cout, N, K, batch: n, strideA: 0, strideB: K * N,
      outShape: [n, cout, oh, ow], bias: g.bias, biasAlong: 'm', act: g.act, label: 'conv2d.im2col',
    });
  });
}

/**
 * One input plane per output plane, in the kernels' memory: the input, weights and bias copied in
 * once, then kernels.wat's depthwise_planes over every output plane (split by planes over the
 * threads: bit-identical to one thread), then the output copied out.
 */
function depthwise(xt: Tensor, wt: Tensor, g: Conv2dGeometry, s: 1 | 2): Tensor {
  const kernels = wasmKernels()!;
  const { n, cin, h, w, cout, kh, kw, oh, ow } = g;
  const [ph, pw] = g.pad;
  const bias = g.bias?.storage as Float32Array | undefined;
  const out = (xt.backend as CpuBackend).uninitialized([n, cout, oh, ow], 'conv2d'); // every plane is copied out
  const planes = n * cout;
  if (planes * oh * ow === 0) return out;
  const ow4 = Math.ceil(ow / 4) * 4;
  // The padded plane holds every read of the last group of four outputs (stride 2 loads eight).
  const iw = ow4 * s + kw + 4;
  const ih = (oh - 1) * s + kh;
  const at4 = (f: number) => Math.ceil(f / 4) * 4; // regions 16-byte aligned
  // Scratch: the input and the output (unless they lie in the kernels' memory), the weights, the
  // bias, the job's description, a scratch area per thread.
  const x = xt.storage as Float32Array;
  const y = out.storage as Float32Array;
  const [xIn, yIn] = [kernels.offsetOf(x), kernels.offsetOf(y)];
  let top = at4(kernels.scratchAt);
  const take = (floats: number) => {
    const at = top;
    top = at4(top + floats);
    return at;
  };
  const xAt = xIn >= 0 ? xIn : take(n * cin * h * w);
  const yAt = yIn >= 0 ? yIn : take(planes * oh * ow);
  const wAt = take(cout * kh * kw);
  const biasAt = take(cout);
  const descAt = take(DEPTHWISE_FIELDS.length);
  const scratchAt = top;
  const scratch = at4(ih * iw + oh * ow4);
  const mem = kernels.floats(scratchAt + kernels.threads * scratch);
  if (xIn < 0) mem.set(x, xAt);
  mem.set(wt.storage as Float32Array, wAt);
  if (bias) mem.set(bias, biasAt);
  kernels.depthwisePlanes(
    {
      x: xAt, w: wAt, bias: bias ? biasAt : -1, y: yAt, n, cin, h, wIn: w, cout, perInput: cout / cin, kh, kw, oh, ow, ow4, iw, ih, ph, pw,
      stride: s, act: g.act, rows: Math.min(h, ih - ph), cols: Math.min(w, iw - pw),
    },
    descAt, scratchAt, scratch,
  );
  if (yIn < 0) y.set(kernels.floats(scratchAt).subarray(yAt, yAt + planes * oh * ow));
  return out;
}

function direct(xt: Tensor, wt: Tensor, g: Conv2dGeometry): Tensor {
  const { n, cin, h, w, cout, cinPerGroup, kh, kw, groups, stride, pad, oh, ow } = g;
  const [sh, sw] = stride;
  const [ph, pw] = pad;
  const x = xt.storage as Float32Array;
  const wts = wt.storage as Float32Array;
  const bias = g.bias?.storage as Float32Array | undefined;
  const f = ACTIVATE[g.act];
  const out = xt.backend.empty([n, cout, oh, ow], 'f32', 'conv2d');
  const y = out.storage as Float32Array;
  const coutPerGroup = cout / groups;
  const plane = new Float64Array(oh * ow);
  // The output columns each kernel column reads inside the input (the rest read zero padding).
  const oxFrom = new Int32Array(kw);
  const oxTo = new Int32Array(kw);
  for (let kx = 0; kx < kw; kx++) {
    oxFrom[kx] = Math.max(0, Math.ceil((pw - kx) / sw));
    oxTo[kx] = Math.min(ow, Math.floor((w - 1 + pw - kx) / sw) + 1);
  }
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < cout; oc++) {
      plane.fill(0);
      const ic0 = Math.floor(oc / coutPerGroup) * cinPerGroup;
      for (let icg = 0; icg < cinPerGroup; icg++) {
        const xPlane = (b * cin + ic0 + icg) * h * w;
        const wBase = (oc * cinPerGroup + icg) * kh * kw;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = wts[wBase + ky * kw + kx];
            if (wv === 0) continue;
            const from = oxFrom[kx];
            const to = oxTo[kx];
            const dx = kx - pw;
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - ph + ky;
              if (iy < 0 || iy >= h) continue;
              const xr = xPlane + iy * w + dx;
              const pr = oy * ow;
              for (let ox = from; ox < to; ox++) plane[pr + ox] += wv * x[xr + ox * sw];
            }
          }
        }
      }
      const yo = (b * cout + oc) * oh * ow;
      const bv = bias ? bias[oc] : 0;
      for (let i = 0; i < oh * ow; i++) {
        let v = Math.fround(plane[i]);
        if (bias) v = Math.fround(v + bv);
        y[yo + i] = f ? f(v) : v;
      }
    }
  }
  return out;
}
