import type { FloatImage } from '../../../../src-main/contract/image';
import { Rng } from '../../../../src-main/engine/train/rng';

/**
 * A "dead leaves" picture: overlapping discs with a power-law size distribution and random
 * colours. Like photos, it has edges in every direction and the same structure at every scale,
 * which is what kernel estimation and ZSSR feed on.
 */
export function deadLeaves(w: number, h: number, seed = 1, count = 1500): FloatImage {
  const rng = new Rng(seed);
  const d = new Float32Array(w * h * 3);
  const rMin = 2, rMax = Math.max(w, h) / 4;
  for (let n = 0; n < count; n++) {
    // p(r) ~ r^-3 between rMin and rMax (inverse CDF).
    const u = rng.next();
    const r = 1 / Math.sqrt(1 / rMin ** 2 - u * (1 / rMin ** 2 - 1 / rMax ** 2));
    const cx = rng.next() * w, cy = rng.next() * h;
    const col = [rng.next(), rng.next(), rng.next()];
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(h, Math.ceil(cy + r)); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(w, Math.ceil(cx + r)); x++)
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = col[c];
  }
  return { width: w, height: h, channels: 3, data: d };
}
