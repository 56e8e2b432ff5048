/**
 * Direct 2-D convolution on NCHW for every conv but the 1×1 stride-1 ones (GEMMs): for each output
 * plane, each (input channel, kernel tap) adds weight × a strided input row segment to the plane's
 * rows — the innermost loop walks one output row, the bounds of padding computed once per tap.
 * Cost: 2·N·Cout·OH·OW·(Cin/groups)·KH·KW flops.
 */
import type { Conv2dGeometry } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import { ACTIVATE } from './activation.js';

export function conv2d(xt: Tensor, wt: Tensor, g: Conv2dGeometry): Tensor {
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
