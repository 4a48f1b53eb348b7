// Tiles nobody can see: a flat grey photo and a gradient through a net, tiled small so there are
// many seams, show no step at the seams beyond what the net makes inside a tile.
import { afterAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../src-main/contract/image';
import { releaseOrtSessions } from '../../../src-main/engine/graph/ort-exec';
import { esrganUpscaler, pretrainedSpec, unloadPretrained } from '../../../src-main/engine/pretrained';
import { REALESRGAN, realesrganUpscaler } from '../../../src-main/engine/models/builtin';
import type { Upscaler } from '../../../src-main/engine/upscaler';

afterAll(async () => {
  await releaseOrtSessions();
  await unloadPretrained();
});

const W = 1000;
const H = 700;

function photo(kind: 'flat' | 'gradient'): FloatImage {
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      if (kind === 'flat') data.fill(0.5, i, i + 3);
      else {
        data[i] = 0.1 + (0.8 * x) / W;
        data[i + 1] = 0.1 + (0.8 * y) / H;
        data[i + 2] = 0.5;
      }
    }
  return { width: W, height: H, channels: 3, data };
}

/** Largest mean step between neighbouring output rows (axis 'y') or columns ('x'), per position. */
function steps(img: FloatImage, axis: 'x' | 'y'): Float64Array {
  const { width: w, height: h } = img;
  const n = axis === 'y' ? h - 1 : w - 1;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    const m = axis === 'y' ? w : h;
    for (let j = 0; j < m; j++) {
      const a = axis === 'y' ? (k * w + j) * 3 : (j * w + k) * 3;
      const b = axis === 'y' ? a + w * 3 : a + 3;
      for (let c = 0; c < 3; c++) s += Math.abs(img.data[b + c] - img.data[a + c]);
    }
    out[k] = s / (3 * m);
  }
  return out;
}

/** The nets to check: the compact Real-ESRGAN and ESRGAN slim, tiled small. */
function nets(): { name: string; up: Upscaler; scale: number }[] {
  const fast = REALESRGAN.find((m) => m.id === 'realesrgan-fast');
  return [
    ...(fast ? [{ name: 'realesrgan-fast', up: realesrganUpscaler(fast, { tile: 192 }), scale: 4 }] : []),
    { name: 'esrgan-slim', up: esrganUpscaler(pretrainedSpec('esrgan-slim'), { tile: 160 }), scale: 2 },
  ];
}

describe('seams', () => {
  it('a flat grey 1000x700 photo stays flat and a gradient stays smooth across tile seams', async () => {
    for (const { name, up, scale } of nets()) {
      let tiles = 0;
      const flat = await up.upscale(photo('flat'), { scale, backend: 'onnx-cpu', onProgress: (p) => (tiles = p.total ?? tiles) });
      expect(tiles, `${name}: the photo must be cut in many tiles`).toBeGreaterThanOrEqual(12);
      for (const axis of ['x', 'y'] as const) expect(Math.max(...steps(flat, axis)), `${name} flat ${axis}`).toBeLessThan(0.5 / 255);
      const grad = await up.upscale(photo('gradient'), { scale, backend: 'onnx-cpu' });
      for (const axis of ['x', 'y'] as const) {
        const st = steps(grad, axis);
        // A smooth ramp: the steps vary only by what the net does everywhere; a seam would stand
        // out as a step far above the median step of the ramp.
        const sorted = [...st].sort((a, b) => a - b);
        const median = sorted[sorted.length >> 1];
        const p99 = sorted[Math.floor(sorted.length * 0.99)];
        expect(Math.max(...st), `${name} gradient ${axis}`).toBeLessThanOrEqual(Math.max(p99 * 1.5, median + 1 / 255));
      }
    }
  }, 300_000);
});
