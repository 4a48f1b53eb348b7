import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../src-main/contract/image';
import { imresize } from '../../../src-main/engine/classical/imresize';
import { blendDetail, hallucinationMap } from '../../../src-main/engine/detail';

const scene = (w: number, h: number): FloatImage => {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = 0.5 + 0.3 * Math.sin(x / 5 + k) * Math.cos(y / 7);
  return { width: w, height: h, channels: 3, data };
};

describe('detail control', () => {
  it('0 % is bicubic, 100 % the result itself, 50 % halfway', () => {
    const input = scene(20, 16);
    const bic = imresize(input, { width: 80, height: 64 }, 'bicubic', true);
    const gan = { ...bic, data: bic.data.map((v, i) => Math.min(1, Math.max(0, v + (i % 7 === 0 ? 0.2 : -0.05)))) };
    expect(blendDetail({ ...gan, data: gan.data.slice() }, input, 1).data).toEqual(gan.data);
    const zero = blendDetail({ ...gan, data: gan.data.slice() }, input, 0);
    zero.data.forEach((v, i) => expect(v).toBeCloseTo(Math.min(1, Math.max(0, bic.data[i])), 5));
    const half = blendDetail({ ...gan, data: gan.data.slice() }, input, 0.5);
    half.data.forEach((v, i) => expect(v).toBeCloseTo((gan.data[i] + Math.min(1, Math.max(0, bic.data[i]))) / 2, 5));
  });
});

describe('hallucination map', () => {
  it('is dark for bicubic, lights up where texture was added, and turns red where content changed', () => {
    const input = scene(24, 24);
    const bic = imresize(input, { scale: 4 }, 'bicubic', true);
    const calm = hallucinationMap(bic, input);
    expect(calm.inferred).toBeLessThan(0.01);
    expect(calm.changed).toBeLessThan(0.01);
    // Invented texture (a fine checkerboard) in the left half only.
    const textured = { ...bic, data: bic.data.slice() };
    for (let y = 0; y < 96; y++) for (let x = 0; x < 48; x++) for (let k = 0; k < 3; k++) textured.data[(y * 96 + x) * 3 + k] += (x + y) % 2 ? 0.1 : -0.1;
    const m = hallucinationMap(textured, input);
    const px = (x: number, y: number) => Array.from(m.image.data.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3));
    expect(px(5, 12)[1]).toBeGreaterThan(0.3); // yellow-ish: inferred detail
    expect(px(18, 12)[1]).toBeLessThan(0.05);
    // A changed region (brightened) shows in red.
    const changed = { ...bic, data: bic.data.map((v, i) => (Math.floor(i / 3) % 96 > 60 ? v + 0.2 : v)) };
    const r = hallucinationMap(changed, input);
    const at = (x: number, y: number) => Array.from(r.image.data.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3));
    expect(at(20, 12)[0]).toBeGreaterThan(0.9);
    expect(at(20, 12)[1]).toBeLessThan(0.2);
    expect(at(3, 12)[0]).toBeLessThan(0.1);
  });
});
