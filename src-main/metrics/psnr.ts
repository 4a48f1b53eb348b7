import { sameSize, type Plane } from './plane';

/** PSNR in dB of two planes with the given peak (255 for the SR protocol). Identical planes: Infinity. */
export function psnrPlane(a: Plane, b: Plane, peak = 255): number {
  sameSize(a, b);
  const n = a.data.length;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / n;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}
