// A plain-loop NCHW interpreter of the graph IR, written from the op definitions (PyTorch
// semantics) and nothing else: the yardstick every runtime's executor is checked against.
import { nodeInputs, type Graph, type GraphNode } from '../../../../src-main/engine/graph/ir';

export interface Chw {
  c: number;
  h: number;
  w: number;
  d: Float32Array;
}

const at = (t: Chw, c: number, y: number, x: number) => t.d[(c * t.h + y) * t.w + x];

function conv(n: Extract<GraphNode, { op: 'conv' }>, x: Chw): Chw {
  const [o, i, kh, kw] = n.weightShape;
  const s = n.stride ?? 1;
  const g = n.groups ?? 1;
  const oh = Math.floor((x.h + 2 * n.pad - kh) / s) + 1;
  const ow = Math.floor((x.w + 2 * n.pad - kw) / s) + 1;
  const d = new Float32Array(o * oh * ow);
  const perG = o / g;
  for (let a = 0; a < o; a++) {
    const g0 = Math.floor(a / perG) * i;
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let acc = n.bias ? n.bias[a] : 0;
        for (let b = 0; b < i; b++)
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const iy = y * s + u - n.pad;
              const ix = xx * s + v - n.pad;
              if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
              acc += n.weight[((a * i + b) * kh + u) * kw + v] * at(x, g0 + b, iy, ix);
            }
        d[(a * oh + y) * ow + xx] = acc;
      }
  }
  return { c: o, h: oh, w: ow, d };
}

function map(x: Chw, f: (v: number, c: number) => number): Chw {
  const d = new Float32Array(x.d.length);
  const hw = x.h * x.w;
  for (let k = 0; k < d.length; k++) d[k] = f(x.d[k], Math.floor(k / hw));
  return { ...x, d };
}

export function runReference(g: Graph, input: Chw): Chw {
  const vals = new Map<string, Chw>([[g.input, input]]);
  for (const n of g.nodes) {
    const [x, y] = nodeInputs(n).map((id) => vals.get(id)!);
    let out: Chw;
    switch (n.op) {
      case 'conv':
        out = conv(n, x);
        break;
      case 'relu':
        out = map(x, (v) => Math.max(0, v));
        break;
      case 'leakyRelu':
        out = map(x, (v) => (v < 0 ? v * n.alpha : v));
        break;
      case 'prelu':
        out = map(x, (v, c) => (v < 0 ? v * n.slope[n.slope.length === 1 ? 0 : c] : v));
        break;
      case 'sigmoid':
        out = map(x, (v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'tanh':
        out = map(x, Math.tanh);
        break;
      case 'scale':
        out = map(x, (v) => v * n.factor);
        break;
      case 'clip':
        out = map(x, (v) => Math.min(n.max, Math.max(n.min, v)));
        break;
      case 'add':
        out = { ...x, d: x.d.map((v, k) => v + y.d[k]) };
        break;
      case 'concat': {
        const parts = n.inputs.map((id) => vals.get(id)!);
        const d = new Float32Array(parts.reduce((s, p) => s + p.d.length, 0));
        let off = 0;
        for (const p of parts) {
          d.set(p.d, off);
          off += p.d.length;
        }
        out = { c: parts.reduce((s, p) => s + p.c, 0), h: x.h, w: x.w, d };
        break;
      }
      case 'pixelShuffle': {
        const r = n.factor;
        const c = x.c / (r * r);
        const d = new Float32Array(x.d.length);
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < r; i++)
            for (let j = 0; j < r; j++) {
              const src = n.mode === 'CRD' ? ch * r * r + i * r + j : (i * r + j) * c + ch;
              for (let yy = 0; yy < x.h; yy++) for (let xx = 0; xx < x.w; xx++) d[(ch * x.h * r + yy * r + i) * x.w * r + xx * r + j] = at(x, src, yy, xx);
            }
        out = { c, h: x.h * r, w: x.w * r, d };
        break;
      }
      case 'pixelUnshuffle': {
        const r = n.factor;
        const h = x.h / r;
        const w = x.w / r;
        const d = new Float32Array(x.d.length);
        for (let ch = 0; ch < x.c; ch++)
          for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) d[((ch * r * r + i * r + j) * h + yy) * w + xx] = at(x, ch, yy * r + i, xx * r + j);
        out = { c: x.c * r * r, h, w, d };
        break;
      }
      case 'upsampleBilinear': {
        // Half-pixel centres, clamped edges (PyTorch align_corners=False).
        const f = n.factor;
        const H = x.h * f, W = x.w * f;
        const d = new Float32Array(x.c * H * W);
        const src = (o: number, n0: number) => {
          const s = Math.min(n0 - 1, Math.max(0, (o + 0.5) / f - 0.5));
          const i0 = Math.floor(s);
          return [i0, Math.min(n0 - 1, i0 + 1), s - i0] as const;
        };
        for (let ch = 0; ch < x.c; ch++)
          for (let yy = 0; yy < H; yy++) {
            const [y0, y1, fy] = src(yy, x.h);
            for (let xx = 0; xx < W; xx++) {
              const [x0, x1, fx] = src(xx, x.w);
              d[(ch * H + yy) * W + xx] = (1 - fy) * ((1 - fx) * at(x, ch, y0, x0) + fx * at(x, ch, y0, x1)) + fy * ((1 - fx) * at(x, ch, y1, x0) + fx * at(x, ch, y1, x1));
            }
          }
        out = { c: x.c, h: H, w: W, d };
        break;
      }
      case 'upsampleNearest': {
        const f = n.factor;
        const d = new Float32Array(x.d.length * f * f);
        for (let ch = 0; ch < x.c; ch++) for (let yy = 0; yy < x.h * f; yy++) for (let xx = 0; xx < x.w * f; xx++) d[(ch * x.h * f + yy) * x.w * f + xx] = at(x, ch, Math.floor(yy / f), Math.floor(xx / f));
        out = { c: x.c, h: x.h * f, w: x.w * f, d };
        break;
      }
    }
    vals.set(n.out, out);
  }
  return vals.get(g.output)!;
}
