import type { EffectiveZssrConfig } from './config';

/** Least-squares line through (x, y) with the slope's standard error, as numpy.polyfit(x, y, 1, cov=True). */
export function fitLine(x: number[], y: number[]): { slope: number; intercept: number; slopeStdErr: number } {
  const n = x.length;
  if (n < 3 || y.length !== n) throw new Error('fitLine needs at least 3 points');
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i] - (slope * x[i] + intercept)) ** 2;
  // numpy scales the covariance by rss / (n - order), order = deg + 1 = 2.
  return { slope, intercept, slopeStdErr: Math.sqrt(rss / (n - 2) / sxx) };
}

/** Steps over which the learning rate rises from lr / WARMUP_STEPS to lr. */
export const WARMUP_STEPS = 100;

/**
 * The original ZSSR learning-rate policy: every `rec_every` steps the caller records the
 * reconstruction error of the whole LR image; every `lr_decay_step` steps, once more than
 * `lr_decay_range` steps passed since the last change, a line is fitted to the errors of the last
 * `lr_decay_range` steps and the rate is multiplied by `lr_decay` when
 * lr_decay_ratio * (-slope) < the slope's standard error (the error stopped falling measurably).
 */
export class LrPolicy {
  lr: number;
  private lastChange = 0;
  private readonly steps: number[] = [];
  private readonly errors: number[] = [];
  readonly decays: number[] = [];

  constructor(private readonly cfg: Pick<EffectiveZssrConfig, 'lr' | 'lr_stop' | 'lr_decay' | 'lr_decay_ratio' | 'lr_decay_range' | 'lr_decay_step' | 'rec_every'>) {
    this.lr = cfg.lr;
  }

  /**
   * The rate for step `step` (0-based): `lr`, ramped up linearly over the first WARMUP_STEPS.
   * At the full rate from the first step Adam's first updates can switch every ReLU of the
   * network off on a photo with little fine detail (measured on Set5 head: the residual fell to
   * 1e-5 within 20 steps and never came back; ramped, it learned).
   */
  rateAt(step: number): number {
    return step < WARMUP_STEPS ? (this.lr * (step + 1)) / WARMUP_STEPS : this.lr;
  }

  /** Whether the reconstruction error should be measured after step `step` (0-based). */
  measures(step: number): boolean {
    return step % this.cfg.rec_every === 0;
  }

  /** The error recorded at `step`, if one was. */
  errorAt(step: number): number | undefined {
    const i = this.steps.indexOf(step);
    return i < 0 ? undefined : this.errors[i];
  }

  record(step: number, error: number): void {
    this.steps.push(step);
    this.errors.push(error);
  }

  /** Call after each step (and its measurement); returns true when the rate changed. */
  update(step: number): boolean {
    const c = this.cfg;
    if ((step + 1) % c.lr_decay_step !== 0 || step - this.lastChange <= c.lr_decay_range) return false;
    const n = Math.floor(c.lr_decay_range / c.rec_every);
    if (this.errors.length < Math.max(3, n)) return false;
    const { slope, slopeStdErr } = fitLine(this.steps.slice(-n), this.errors.slice(-n));
    if (c.lr_decay_ratio * -slope < slopeStdErr) {
      this.lr *= c.lr_decay;
      this.lastChange = step;
      this.decays.push(step);
      return true;
    }
    return false;
  }

  get finished(): boolean {
    return this.lr < this.cfg.lr_stop;
  }
}
