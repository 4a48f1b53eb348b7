// The Real-ESRGAN test files of the shared folder beside the repository (read in place, never
// copied). CI lays that folder out; a checkout without it skips these tests and says why.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { FloatImage } from '../../../../src-main/contract/image';

export const SHARED_MODELS = path.resolve(__dirname, '../../../../../shared/models');
export const HAVE_SHARED_MODELS = fs.existsSync(path.join(SHARED_MODELS, 'reference', 'input-96.png'));
export const SKIP_REASON = `the shared model files are not at ${SHARED_MODELS}`;
if (!HAVE_SHARED_MODELS) console.warn(`skipping: ${SKIP_REASON}`);

export const shared = (...p: string[]) => path.join(SHARED_MODELS, ...p);

export async function loadRgb(file: string): Promise<FloatImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
}

/** PSNR (dB) of a [0,1] image against an 8-bit reference, both rounded to 8 bits (as saved). */
export function psnr8(out: FloatImage, ref: FloatImage): number {
  if (out.width !== ref.width || out.height !== ref.height) throw new Error(`size ${out.width}x${out.height} != ${ref.width}x${ref.height}`);
  let se = 0;
  for (let i = 0; i < out.data.length; i++) {
    const a = Math.round(Math.min(1, Math.max(0, out.data[i])) * 255);
    const b = Math.round(ref.data[i] * 255);
    se += (a - b) ** 2;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / out.data.length));
}
