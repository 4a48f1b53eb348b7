// How much invented detail to keep, and where it is. A GAN (Real-ESRGAN, ESRGAN) draws texture
// the photo does not contain. `blendDetail` mixes its result with a faithful one of the same
// size (bicubic of the input): detail 1 = the GAN as is, 0 = bicubic. `hallucinationMap` shows,
// per input pixel, (1) how much of the result is finer than the photo's own pixels (what the
// GAN had to infer: plausible sharpening at edges, invented texture elsewhere) and (2) where the
// result, brought back to the photo's size, disagrees with the photo (changed content).
import type { FloatImage } from '../contract/image';
import { imresize, planResize, resizeRows } from './classical/imresize';

/** In place: gan = bicubic + detail * (gan - bicubic). Bicubic rows are made one at a time. */
export function blendDetail(gan: FloatImage, input: FloatImage, detail: number): FloatImage {
  const d = Math.min(1, Math.max(0, detail));
  if (d >= 1) return gan;
  const c = gan.channels;
  if (input.channels !== c) throw new Error('blendDetail: channel counts differ');
  const rowLen = gan.width * c;
  resizeRows(input, planResize(input.width, input.height, { width: gan.width, height: gan.height }, 'bicubic', true), (y, row) => {
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const b = Math.min(1, Math.max(0, row[i]));
      gan.data[o + i] = b + d * (gan.data[o + i] - b);
    }
  });
  return gan;
}

/** Gains of the map: an RMS of 0.25 finer than the photo, or a mean error of 0.125, is full scale. */
export const MAP_GAIN = { inferred: 4, changed: 8 };

export interface HallucinationMap {
  /** RGB at the input's size: yellow = finer than the photo (inferred), red = disagrees with it. */
  image: FloatImage;
  /** Mean over the photo of the two measures (0..1 before the gains). */
  inferred: number;
  changed: number;
}

export function hallucinationMap(result: FloatImage, input: FloatImage): HallucinationMap {
  const { width: iw, height: ih } = input;
  const c = result.channels;
  // The result seen at the photo's resolution (the degradation model of the SR protocol: bicubic).
  const down = imresize(result, { width: iw, height: ih }, 'bicubic', true);
  // What downscaling removes = the part of the result finer than the photo's pixels.
  const energy = new Float64Array(iw * ih);
  const count = new Float64Array(iw * ih);
  const ow = result.width;
  const oh = result.height;
  resizeRows(down, planResize(iw, ih, { width: ow, height: oh }, 'bicubic', true), (y, row) => {
    const iy = Math.min(ih - 1, Math.floor((y * ih) / oh));
    for (let x = 0; x < ow; x++) {
      let e = 0;
      for (let k = 0; k < c; k++) {
        const diff = result.data[(y * ow + x) * c + k] - row[x * c + k];
        e += diff * diff;
      }
      const p = iy * iw + Math.min(iw - 1, Math.floor((x * iw) / ow));
      energy[p] += e / c;
      count[p]++;
    }
  });
  const data = new Float32Array(iw * ih * 3);
  let inferred = 0;
  let changed = 0;
  for (let p = 0; p < iw * ih; p++) {
    const inf = Math.sqrt(energy[p] / Math.max(1, count[p]));
    let ch = 0;
    for (let k = 0; k < c; k++) ch += Math.abs(down.data[p * c + k] - input.data[p * c + k]);
    ch /= c;
    inferred += inf;
    changed += ch;
    const a = Math.min(1, inf * MAP_GAIN.inferred);
    const b = Math.min(1, ch * MAP_GAIN.changed);
    data[3 * p] = Math.max(a, b);
    data[3 * p + 1] = a * (1 - b);
    data[3 * p + 2] = 0;
  }
  return { image: { width: iw, height: ih, channels: 3, data }, inferred: inferred / (iw * ih), changed: changed / (iw * ih) };
}
