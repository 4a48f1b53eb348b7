import { describe, expect, it } from 'vitest';
import type { WorkerJobEvent } from '../../../src-main/jobs/worker-protocol';
import { jobEtaMs, ProgressReporter } from '../../../src-main/worker/progress';

describe('the time left for a whole job', () => {
  it('is the phase at its pace so far plus what comes after it', () => {
    expect(jobEtaMs({ elapsedMs: 1000, done: 10, total: 40 })).toBe(3000);
    expect(jobEtaMs({ elapsedMs: 1000, done: 10, total: 40, restMs: 5000 })).toBe(8000);
    // At the end of a phase only what comes after is left; before any pace, nothing is said.
    expect(jobEtaMs({ elapsedMs: 4000, done: 40, total: 40, restMs: 5000 })).toBe(5000);
    expect(jobEtaMs({ elapsedMs: 0, done: 0, total: 40, restMs: 5000 })).toBeUndefined();
    expect(jobEtaMs({ elapsedMs: 4000, done: 40, total: 40 })).toBeUndefined();
  });

  it('adds the enlarging the engine expects after training to the training ETA, and drops it when enlarging starts', () => {
    let t = 0;
    const out: WorkerJobEvent[] = [];
    const r = new ProgressReporter((e) => out.push(e), 100, () => t);
    r.progress('train', 0, 1);
    for (let s = 1; s <= 10; s++) {
      t = s * 100; // 100 ms a step, 10 steps
      r.engine({ phase: 'train', done: s, total: 10, step: s, loss: 1 / s, lr: 0.001, restMs: 4000 });
    }
    const train = out.filter((e) => e.type === 'train');
    // Step 5 of 10 at 100 ms a step: 500 ms of training and 4 s of enlarging left.
    expect(train.find((e) => e.type === 'train' && e.step === 5)).toMatchObject({ etaMs: 4500 });
    expect(train.at(-1)).toMatchObject({ step: 10, etaMs: 4000 });
    const trainProgress = out.filter((e) => e.type === 'progress' && e.progress.phase === 'train' && e.progress.done === 5);
    expect(trainProgress[0]).toMatchObject({ progress: { etaMs: 4500 } });

    // Enlarging: tiles, with an ETA from the tile rate alone.
    out.length = 0;
    for (let i = 0; i <= 4; i++) {
      t = 2000 + i * 1000;
      r.engine({ phase: 'infer', done: i, total: 4, unit: 'tiles' });
    }
    const tiles = out.filter((e) => e.type === 'progress');
    expect(tiles.every((e) => e.type === 'progress' && e.progress.unit === 'tiles')).toBe(true);
    expect(tiles.find((e) => e.type === 'progress' && e.progress.done === 1)).toMatchObject({ progress: { phase: 'infer', total: 4, etaMs: 3000 } });
  });
});
