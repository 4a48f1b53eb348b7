import type { EngineProgress } from '../contract/image';
import type { JobPhase, JobProgress } from '../contract/jobs';
import type { WorkerJobEvent } from '../jobs/worker-protocol';

/**
 * The time left for a whole job: the current phase at its pace so far, plus what the method
 * expects to do after it (`restMs`, e.g. ZSSR's enlarging after its training). Undefined until
 * the phase has a pace.
 */
export function jobEtaMs(o: { elapsedMs: number; done: number; total: number; restMs?: number }): number | undefined {
  if (o.done <= 0 || o.done >= o.total || o.elapsedMs <= 0) return o.done >= o.total && o.restMs !== undefined ? Math.round(o.restMs) : undefined;
  return Math.round((o.elapsedMs / o.done) * (o.total - o.done) + (o.restMs ?? 0));
}

/**
 * Turns the engine's progress callbacks into job events: at most one per `intervalMs` per kind
 * (first and last always), with an ETA over the rest of the job.
 */
export class ProgressReporter {
  private phase: JobPhase | undefined;
  private phaseStart = 0;
  private lastProgress = 0;
  private lastTrain = 0;
  /** The engine's latest estimate of its work after the current phase. */
  private restMs: number | undefined;

  constructor(
    private readonly emit: (e: WorkerJobEvent) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new phase starts its own clock; what the engine expected after the old one no longer holds. */
  private enter(phase: JobPhase, t: number): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.phaseStart = t;
    this.lastProgress = 0;
    this.restMs = undefined;
  }

  progress(phase: JobPhase, done: number, total: number, unit?: JobProgress['unit']): void {
    const t = this.now();
    this.enter(phase, t);
    const final = done >= total;
    if (!final && done > 0 && t - this.lastProgress < this.intervalMs) return;
    this.lastProgress = t;
    const etaMs = jobEtaMs({ elapsedMs: t - this.phaseStart, done, total, restMs: this.restMs });
    this.emit({ type: 'progress', progress: { phase, done, total, ...(unit ? { unit } : {}), ...(etaMs !== undefined ? { etaMs } : {}) } });
  }

  /** An EngineProgress from an upscaler: training steps with a loss also become `train` events. */
  engine(p: EngineProgress): void {
    this.enter(p.phase, this.now());
    if (p.restMs !== undefined) this.restMs = p.restMs;
    if (p.phase === 'train' && p.loss !== undefined && Number.isFinite(p.loss)) {
      const t = this.now();
      const final = p.done >= p.total;
      if (final || t - this.lastTrain >= this.intervalMs / 2) {
        this.lastTrain = t;
        const etaMs = jobEtaMs({ elapsedMs: t - this.phaseStart, done: p.done, total: p.total, restMs: this.restMs });
        this.emit({
          type: 'train',
          step: p.step ?? p.done,
          totalSteps: p.total,
          loss: p.loss,
          lr: p.lr ?? 0,
          ...(etaMs !== undefined ? { etaMs } : {}),
        });
      }
    }
    if (p.message) this.emit({ type: 'info', message: p.message });
    this.progress(p.phase, p.done, p.total, p.unit);
  }
}
