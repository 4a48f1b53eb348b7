import { describe, expect, it } from 'vitest';
import type { WorkerJobEvent } from '../../../src-main/jobs/worker-protocol';
import { outputFileName, sameFamilyFormat, scaleLabel } from '../../../src-main/presets/output-name';
import { ProgressReporter } from '../../../src-main/worker/progress';

describe('output naming', () => {
  it('names outputs <name>_<method>_x<scale>.<ext>, keeping the input extension of the same format', () => {
    expect(outputFileName('/p/IMG_001.JPG', 'lanczos', 4, 'jpeg')).toBe('IMG_001_lanczos_x4.jpg');
    expect(outputFileName('/p/scan.tif', 'bicubic', 2.5, 'tiff')).toBe('scan_bicubic_x2.5.tif');
    expect(outputFileName('/p/scan.tif', 'bicubic', 2, 'png')).toBe('scan_bicubic_x2.png');
    expect(outputFileName('/p/a.b.png', 'user:my model', 3, 'webp')).toBe('a.b_user-my-model_x3.webp');
    expect(outputFileName('/p/x.jpeg', 'zssr', 4 / 3, 'jpeg')).toBe('x_zssr_x1.333.jpeg');
  });

  it('never yields the input file name', () => {
    for (const input of ['/p/a.png', '/p/a_bicubic_x2.png', '/p/.png']) {
      expect(outputFileName(input, 'bicubic', 2, 'png')).not.toBe(input.split('/').pop());
    }
  });

  it('keeps the input format family unless it cannot be written', () => {
    expect(sameFamilyFormat('jpeg')).toBe('jpeg');
    expect(sameFamilyFormat('tiff')).toBe('tiff');
    expect(sameFamilyFormat('gif')).toBe('png');
    expect(sameFamilyFormat('heic')).toBe('jpeg');
    expect(scaleLabel(2)).toBe('2');
  });
});

describe('progress reporter', () => {
  it('throttles progress, always sends first and last, and estimates the time left', () => {
    let t = 0;
    const out: WorkerJobEvent[] = [];
    const r = new ProgressReporter((e) => out.push(e), 100, () => t);
    for (let i = 0; i <= 100; i++) {
      t = i * 10; // 10 ms per step: one event every 10 steps
      r.progress('infer', i, 100);
    }
    const prog = out.filter((e) => e.type === 'progress');
    expect(prog.length).toBeGreaterThanOrEqual(10);
    expect(prog.length).toBeLessThanOrEqual(13);
    expect(prog[0]).toMatchObject({ progress: { done: 0, total: 100 } });
    expect(prog.at(-1)).toMatchObject({ progress: { done: 100, total: 100 } });
    const mid = prog.find((e) => e.type === 'progress' && e.progress.done === 50);
    expect(mid).toMatchObject({ progress: { etaMs: 500 } });
  });

  it('turns training progress with a loss into train events', () => {
    let t = 0;
    const out: WorkerJobEvent[] = [];
    const r = new ProgressReporter((e) => out.push(e), 100, () => t);
    for (let s = 1; s <= 20; s++) {
      t = s * 100;
      r.engine({ phase: 'train', done: s, total: 20, step: s, loss: 1 / s, lr: 0.001 });
    }
    const train = out.filter((e) => e.type === 'train');
    expect(train).toHaveLength(20);
    expect(train.at(-1)).toMatchObject({ step: 20, totalSteps: 20, loss: 0.05, lr: 0.001 });
    expect(out.some((e) => e.type === 'progress' && e.progress.phase === 'train')).toBe(true);
  });
});
