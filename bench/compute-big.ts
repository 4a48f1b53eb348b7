// Bench-only child process: a 24 MP photo (6000x4000, made here) upscaled x4 by the compact
// Real-ESRGAN net through the studio's tiled runner (rows quantized as tiles finish) and written
// as an 8-bit JPEG by the studio's encoder. Run under /usr/bin/time -v by bench/compute.ts;
// `--make-only` just makes the photo (for the `studio enhance` run).
import fs from 'node:fs';
import sharp from 'sharp';
import type { FloatImage } from '../src-main/contract/image';
import { netUpscaler } from '../src-main/engine/pretrained/net-runner';
import { encodeSamples } from '../src-main/imaging';
import { compactGraphFromSafetensors } from './compact-graph';

const [, , photo, out] = process.argv;
const W = 6000;
const H = 4000;
// A photo-like test image: smooth gradients, edges and some texture (made once, kept as PNG).
if (!fs.existsSync(photo)) {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const ring = Math.sin(Math.hypot(x - W / 2, y - H / 2) / 37) * 40;
      raw[i] = Math.max(0, Math.min(255, 60 + (150 * x) / W + ring));
      raw[i + 1] = Math.max(0, Math.min(255, 90 + (120 * y) / H - ring));
      raw[i + 2] = ((x * 7919 + y * 104729) % 61) + 100;
    }
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 1 }).toFile(photo);
}
if (process.argv.includes('--make-only')) process.exit(0);
const { data, info } = await sharp(photo, { limitInputPixels: false }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const img: FloatImage = { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
const graph = compactGraphFromSafetensors();
const up = netUpscaler(
  { id: 'bench-compact', family: 'pretrained', label: 'compact', scales: [4], description: '' },
  { scales: [4], range: 1, overlap: 24, margin: 8, prepad: 10, bytesPerPixel: () => 1500, graph: async () => graph, net: () => Promise.reject(new Error('ONNX Runtime only')) },
  'compact',
);
const t0 = performance.now();
const samples = await up.upscaleToSamples?.(img, { scale: 4, backend: 'onnx-cpu' }, 8);
if (!samples) throw new Error('no sample path');
const t1 = performance.now();
fs.writeFileSync(out, await encodeSamples(samples.data, samples, { format: 'jpeg', quality: 90 }));
console.log(`net ${((t1 - t0) / 1000).toFixed(0)} s, encode ${((performance.now() - t1) / 1000).toFixed(0)} s, output ${samples.width}×${samples.height}`);
