import { StudioError } from '../../contract/errors';

/**
 * How to reach an arbitrary scale with nets that only exist at some native scales: chain x4 steps
 * while the rest is above the largest native scale, then the smallest native scale that reaches
 * the rest; `resize` says a final bicubic (antialiased) resample to the exact size is needed.
 * x6 with {2,3,4,8} -> x8 then shrink by 0.75; x16 -> x4, x4; x1 -> x2 then halve.
 */
export function planScales(scale: number, native: readonly number[]): { steps: number[]; resize: boolean } {
  if (!(Number.isFinite(scale) && scale >= 1)) throw new StudioError('E_INVALID_ARGUMENT', `scale must be at least 1, got ${scale}`);
  const sorted = [...native].sort((a, b) => a - b);
  if (sorted.length === 0) throw new StudioError('E_INVALID_ARGUMENT', 'no native scales');
  const max = sorted[sorted.length - 1];
  const eps = 1e-9;
  const chainStep = sorted.includes(4) ? 4 : max;
  const steps: number[] = [];
  let rest = scale;
  while (rest > max + eps) {
    if (chainStep <= 1) break;
    steps.push(chainStep);
    rest /= chainStep;
  }
  const exact = sorted.find((s) => Math.abs(s - rest) < eps);
  if (exact !== undefined) return { steps: [...steps, exact], resize: false };
  const up = sorted.find((s) => s > rest) ?? max;
  return { steps: [...steps, up], resize: true };
}
