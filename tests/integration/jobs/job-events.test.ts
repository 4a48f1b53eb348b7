// Jobs know the library photo they were made from, and a state change carries the whole job: the
// interface and a watch need not ask for it after every event.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src-main/contract/jobs';
import { createStudioService, type StudioService } from '../../../src-main/service';

let dir: string;
let svc: StudioService;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-job-events-'));
  svc = await createStudioService({ dataDir: dir, onWarning: () => undefined });
});
afterAll(async () => {
  await svc?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('job events', () => {
  it('a job of a library photo carries its id; state events carry the job as it is', async () => {
    const photo = path.join(dir, 'p.png');
    await sharp({ create: { width: 12, height: 10, channels: 3, background: '#369' } }).png().toFile(photo);
    const [item] = await svc['library.addPaths']([photo]);
    const events: JobEvent[] = [];
    svc.events.subscribe((e) => {
      if (e.topic === 'job') events.push(e.event);
    });
    const job = await svc['jobs.enqueue']({ input: photo, method: 'bicubic', scale: 2 });
    expect(job.imageId).toBe(item.id);
    const done = await svc.queue.wait(job.id);
    expect(done.state).toBe('done');
    const states = events.filter((e): e is Extract<JobEvent, { type: 'state' }> => e.type === 'state' && e.jobId === job.id);
    expect(states.map((e) => e.state)).toEqual(['queued', 'running', 'done']);
    expect(states.at(-1)?.job).toMatchObject({ id: job.id, state: 'done', imageId: item.id, outputs: done.outputs });
    expect(states.at(-1)?.job?.finishedAt).toBeGreaterThan(0);
    // A photo outside the library: no id.
    const other = path.join(dir, 'other.png');
    await fs.copyFile(photo, other);
    expect((await svc['jobs.enqueue']({ input: other, method: 'nearest', scale: 2 })).imageId).toBeUndefined();
  });

  it('a pretrained net reports the phases it really has: decode, tiles, encode; never training', async () => {
    const photo = path.join(dir, 'small.png');
    await sharp({ create: { width: 16, height: 12, channels: 3, background: '#a63' } }).png().toFile(photo);
    const phases: string[] = [];
    svc.events.subscribe((e) => {
      if (e.topic === 'job' && e.event.type === 'progress') phases.push(e.event.progress.phase);
    });
    const job = await svc['jobs.enqueue']({ input: photo, method: 'esrgan-slim', scale: 2, output: { dir: path.join(dir, 'out') } });
    expect((await svc.queue.wait(job.id)).state).toBe('done');
    expect(phases).toContain('infer');
    expect(phases).not.toContain('train');
  }, 120_000);
});
