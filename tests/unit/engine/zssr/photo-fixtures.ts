// Synthetic photos for ZSSR tests: sharp-edged shapes of many sizes (edges look alike at every
// scale, which is what ZSSR learns from) on a textured background, and a blur kernel of the kind
// KernelGAN estimates (anisotropic, small negative lobes).
import sharp from 'sharp';
import type { FloatImage } from '../../../../src-main/contract/image';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';

export function shapesPhoto(w: number, h: number, texture = 0): FloatImage {
  const d = new Float32Array(w * h * 3);
  const SS = 4;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++) {
          const px = x + (sx + 0.5) / SS, py = y + (sy + 0.5) / SS;
          let v = [0.25 + texture * Math.sin(px * 1.7) * Math.sin(py * 1.3), 0.3, 0.35];
          // tiles of 16 px, each with a disc and a tilted bar of its own size and angle
          const tx = Math.floor(px / 16), ty = Math.floor(py / 16), cx = tx * 16 + 8, cy = ty * 16 + 8;
          const r = 3 + ((tx * 3 + ty * 5) % 4);
          if ((px - cx) ** 2 + (py - cy) ** 2 < r * r) v = [0.85, 0.75, 0.3];
          const a = ((tx + 2 * ty) % 3) * 0.6 + 0.3;
          const u = (px - cx) * Math.cos(a) + (py - cy) * Math.sin(a);
          if (Math.abs(u - 5) < 1.2) v = [0.1, 0.15, 0.6];
          for (let c = 0; c < 3; c++) acc[c] += v[c];
        }
      for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = acc[c] / (SS * SS);
    }
  return { width: w, height: h, channels: 3, data: d };
}

/** 9x9, rotated anisotropic Gaussian minus a little in the corners; sums to 1. */
export function lobedKernel(): number[][] {
  const th = Math.PI / 6, sx = 2.0, sy = 1.1;
  const k: number[][] = [];
  for (let i = -4; i <= 4; i++)
    k.push(
      Array.from({ length: 9 }, (_, jj) => {
        const j = jj - 4;
        const u = Math.cos(th) * j + Math.sin(th) * i, v = -Math.sin(th) * j + Math.cos(th) * i;
        return Math.exp(-(u * u) / (2 * sx * sx) - (v * v) / (2 * sy * sy)) - (Math.abs(i) + Math.abs(j) >= 7 ? 0.12 : 0);
      }),
    );
  const s = k.flat().reduce((a, b) => a + b, 0);
  return k.map((r) => r.map((v) => v / s));
}

/** Gaussian noise (std in 8-bit levels), then a JPEG round trip: what a camera or a scan adds. */
export async function noisyJpeg(img: FloatImage, std255: number, quality: number, seed = 7): Promise<FloatImage> {
  const rng = new PairedNormalRng(seed);
  const u8 = Buffer.alloc(img.data.length);
  for (let i = 0; i < u8.length; i++) u8[i] = Math.max(0, Math.min(255, Math.round(img.data[i] * 255 + rng.normal() * std255)));
  const jpg = await sharp(u8, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  const raw = await sharp(jpg).raw().toBuffer();
  return { width: img.width, height: img.height, channels: 3, data: Float32Array.from(raw, (v) => v / 255) };
}
