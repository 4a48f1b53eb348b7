import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../../src-main/contract/errors';
import { ncnnToGraph, parseNcnnParam } from '../../../../src-main/engine/models/ncnn';

const PARAM = `7767517
4 4
Input            in0   0 1 data
Convolution      c0    1 1 data a 0=4 1=3 4=1 5=1 6=108 9=2 -23310=1,2.000000e-01
PReLU            p0    1 1 a b 0=4
PixelShuffle     ps    1 1 b output 0=2
`;

function bin(fp16: boolean): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  const f32 = (v: number) => parts.push(...new Uint8Array(Float32Array.of(v).buffer));
  u32(fp16 ? 0x01306b47 : 0);
  for (let i = 0; i < 108; i++) {
    if (fp16) parts.push(0x00, 0x3c); // 1.0 in half
    else f32(1);
  }
  for (let i = 0; i < 4; i++) f32(0.5); // bias
  for (let i = 0; i < 4; i++) f32(0.25); // slopes
  return Uint8Array.from(parts);
}

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof StudioError ? err.code : `not coded: ${(err as Error).message}`;
  }
  return undefined;
};

describe('ncnn reader', () => {
  it('reads params, arrays, fp16 and fp32 weights, fused activations and the scale', () => {
    const layers = parseNcnnParam(PARAM);
    expect(layers[1].params.get(10)).toEqual([0.2]);
    for (const half of [true, false]) {
      const g = ncnnToGraph(PARAM, bin(half), 'tiny');
      expect(g.scale).toBe(2);
      expect(g.outChannels).toBe(1);
      expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'leakyRelu', 'prelu', 'pixelShuffle']);
      const c = g.nodes[0];
      expect(c.op === 'conv' && [c.weight[5], c.bias?.[0], c.weightShape]).toEqual([1, 0.5, [4, 3, 3, 3]]);
    }
  });

  it('refuses damaged, mismatched and unknown things with coded errors', () => {
    expect(code(() => ncnnToGraph('hello', bin(true), 'x'))).toBe('E_MODEL_INVALID');
    expect(code(() => ncnnToGraph(PARAM, bin(true).subarray(0, 100), 'x'))).toBe('E_MODEL_INVALID');
    expect(code(() => ncnnToGraph(PARAM, Uint8Array.of(...bin(true), 0, 0, 0, 0), 'x'))).toBe('E_MODEL_INVALID');
    expect(code(() => ncnnToGraph(PARAM.replace('PixelShuffle', 'Deconvolution'), bin(true), 'x'))).toBe('E_MODEL_UNSUPPORTED');
    expect(code(() => ncnnToGraph(PARAM.replace('4 4', '5 4'), bin(true), 'x'))).toBe('E_MODEL_INVALID');
    expect(code(() => ncnnToGraph(PARAM.replace('6=108', '6=100'), bin(true), 'x'))).toBe('E_MODEL_INVALID');
    const int8 = bin(true);
    int8.set([0x38, 0x4b, 0x0d, 0x00], 0);
    expect(code(() => ncnnToGraph(PARAM, int8, 'x'))).toBe('E_MODEL_UNSUPPORTED');
  });
});
