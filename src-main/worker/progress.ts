import type { EngineProgress } from '../contract/image';
import type { JobPhase } from '../contract/jobs';
import type { WorkerJobEvent } from '../jobs/worker-protocol';

/**
 * Turns the engine's progress callbacks into job events: at most one per `intervalMs` per kind
 * (first and last always), with an ETA from the phase's pace so far.
 */
export class ProgressReporter {
  private phase: JobPhase | undefined;
  private phaseStart = 0;
  private lastProgress = 0;
  private lastTrain = 0;
  private trainStart = 0;

  constructor(
    private readonly emit: (e: WorkerJobEvent) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  progress(phase: JobPhase, done: number, total: number): void {
    const t = this.now();
    if (phase !== this.phase) {
      this.phase = phase;
      this.phaseStart = t;
      this.lastProgress = 0;
    }
    const final = done >= total;
    if (!final && done > 0 && t - this.lastProgress < this.intervalMs) return;
    this.lastProgress = t;
    const elapsed = t - this.phaseStart;
    const etaMs = done > 0 && !final && elapsed > 0 ? Math.round((elapsed / done) * (total - done)) : undefined;
    this.emit({ type: 'progress', progress: { phase, done, total, ...(etaMs !== undefined ? { etaMs } : {}) } });
  }

  /** An EngineProgress from an upscaler: training steps with a loss also become `train` events. */
  engine(p: EngineProgress): void {
    if (p.phase === 'train' && p.loss !== undefined && Number.isFinite(p.loss)) {
      const t = this.now();
      if (!this.trainStart) this.trainStart = t;
      const final = p.done >= p.total;
      if (final || t - this.lastTrain >= this.intervalMs / 2) {
        this.lastTrain = t;
        const elapsed = t - this.trainStart;
        const etaMs = p.done > 0 && !final ? Math.round((elapsed / p.done) * (p.total - p.done)) : undefined;
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
    this.progress(p.phase, p.done, p.total);
  }
}
