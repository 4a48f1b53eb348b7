import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { addSpeedSample, bookedTimeLeftMs, estimateJobMs, SPEED_WINDOW, speedKey } from '../../../src-main/contract/speed';
import { SpeedStore } from '../../../src-main/service/speeds';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-speeds-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function job(id: string, over: Partial<JobInfo> = {}): JobInfo {
  return {
    id,
    request: { input: '/photos/a.jpg', method: 'zssr', scale: 2, preset: 'draft' },
    state: 'done',
    createdAt: 0,
    startedAt: 1_000,
    finishedAt: 31_000,
    outputs: ['/out/a_zssr_x2.png'],
    ...over,
  } as JobInfo;
}

describe('speed estimates', () => {
  it('splits a job into a fixed part and a part per output megapixel, and averages recent runs', () => {
    const first = addSpeedSample(undefined, { setupMs: 20_000, enlargeMs: 10_000, outputMP: 2, at: 1 });
    expect(first).toMatchObject({ setupMs: 20_000, msPerOutputMP: 5_000, runs: 1 });
    // Twice the pixels of the measured photo: the same training, twice the enlarging.
    expect(estimateJobMs(first, 4)).toBe(40_000);
    expect(estimateJobMs(undefined, 4)).toBeUndefined();
    // A running job without a pace of its own: the estimate less the time it has run, until it is outrun.
    expect(bookedTimeLeftMs(first, 4, 15_000)).toBe(25_000);
    expect(bookedTimeLeftMs(first, 4, 40_000)).toBeUndefined();
    expect(bookedTimeLeftMs(undefined, 4, 0)).toBeUndefined();
    const second = addSpeedSample(first, { setupMs: 10_000, enlargeMs: 6_000, outputMP: 2, at: 2 });
    expect(second).toMatchObject({ setupMs: 15_000, msPerOutputMP: 4_000, runs: 2 });
    // Old runs fade: after many fast runs the estimate follows them.
    let r = second;
    for (let i = 0; i < 6 * SPEED_WINDOW; i++) r = addSpeedSample(r, { setupMs: 1_000, enlargeMs: 1_000, outputMP: 1, at: 3 + i });
    expect(r.setupMs).toBeLessThan(1_100);
    expect(speedKey({ method: 'zssr', scale: 4, preset: 'max', zssr: { blind: true } })).toBe('zssr|max|x4|blind');
    expect(speedKey({ method: 'bicubic', scale: 2 })).toBe('bicubic|balanced|x2');
    // Own ZSSR settings (fewer steps...) are not the preset's time.
    expect(speedKey({ method: 'zssr', scale: 2, preset: 'draft', zssr: { num_epochs: 120 } })).toBe('zssr|draft|x2|custom');
  });

  it('records what finished jobs took on this machine in speeds.json, and skips cache hits and failures', async () => {
    const file = path.join(dir, 'speeds.json');
    const size = { width: 1000, height: 500 }; // x2: 2 output megapixels
    const speeds = await SpeedStore.open({ file, inputSize: async () => size });
    expect(speeds.list()).toEqual({});

    await speeds.onEvent({ type: 'progress', jobId: 'a', progress: { phase: 'train', done: 1, total: 10 } }, 2_000);
    await speeds.onEvent({ type: 'progress', jobId: 'a', progress: { phase: 'infer', done: 0, total: 4, unit: 'tiles' } }, 21_000);
    await speeds.onEvent({ type: 'progress', jobId: 'a', progress: { phase: 'infer', done: 4, total: 4, unit: 'tiles' } }, 29_000);
    await speeds.onEvent({ type: 'state', jobId: 'a', state: 'done', job: job('a') });
    const rec = speeds.list()['zssr|draft|x2'];
    expect(rec).toMatchObject({ setupMs: 20_000, msPerOutputMP: 5_000, runs: 1 });

    // A cache hit (no training) and a failed job say nothing about the next photo.
    for (const [id, over] of [['b', { cacheHit: true }], ['c', { state: 'failed' as const }]] as const) {
      await speeds.onEvent({ type: 'progress', jobId: id, progress: { phase: 'infer', done: 0, total: 1 } }, 1_500);
      await speeds.onEvent({ type: 'state', jobId: id, state: over.state ?? 'done', job: job(id, over) });
    }
    expect(speeds.list()['zssr|draft|x2'].runs).toBe(1);

    const again = await SpeedStore.open({ file, inputSize: async () => size });
    expect(again.list()).toEqual(speeds.list());
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ version: 1, records: { 'zssr|draft|x2': { runs: 1 } } });
  });
});
