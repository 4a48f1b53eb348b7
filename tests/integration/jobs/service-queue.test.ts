import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src-main/contract/jobs';
import type { WorkerLifecycleEvent } from '../../../src-main/jobs/worker-host';
import { createStudioService, type StudioService } from '../../../src-main/service';
import { noisyPng, smallPng, tempDir } from '../worker/helpers';

// The whole core as a front door sees it: service -> queue -> worker pool -> child process.

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function studio(opts: Parameters<typeof createStudioService>[0] = {}): Promise<{ s: StudioService; dir: string; events: JobEvent[]; life: WorkerLifecycleEvent[] }> {
  const dir = opts.dataDir ?? (await tempDir('studio-service-'));
  const s = await createStudioService({ dataDir: dir, onWarning: () => undefined, ...opts });
  const events: JobEvent[] = [];
  const life: WorkerLifecycleEvent[] = [];
  s.events.subscribe((e) => {
    if (e.topic === 'job') events.push(e.event);
  });
  s.workers.onLifecycle((e) => life.push(e));
  cleanup.push(async () => {
    await s.dispose();
    if (!opts.dataDir) await fs.rm(dir, { recursive: true, force: true });
  });
  return { s, dir, events, life };
}

/** Kill the worker (SIGKILL) the first time the given job reaches the upscale. */
function killOnInfer(s: StudioService, jobId: () => string | undefined): void {
  let done = false;
  s.events.subscribe((e) => {
    if (done || e.topic !== 'job' || e.event.type !== 'progress' || e.event.jobId !== jobId() || e.event.progress.phase !== 'infer') return;
    const pid = s.workers.workers().find((w) => w.busy)?.pid;
    if (pid) {
      done = true;
      process.kill(pid, 'SIGKILL');
    }
  });
}

describe('studio service: queue + supervised worker', () => {
  it('a worker killed mid-job fails that job with E_WORKER_CRASHED and the queue goes on', async () => {
    const { s, dir, life } = await studio({ jobStore: 'memory' });
    const big = await noisyPng(path.join(dir, 'big.png'), 600);
    const small = await smallPng(path.join(dir, 'small.png'));
    const target = { id: '' };
    killOnInfer(s, () => target.id);
    const a = await s['jobs.enqueue']({ input: big, method: 'lanczos', scale: 4 });
    target.id = a.id;
    const b = await s['jobs.enqueue']({ input: small, method: 'bicubic', scale: 2 });
    const fa = await s.queue.wait(a.id);
    const fb = await s.queue.wait(b.id);
    expect(fa.state).toBe('failed');
    expect(fa.error?.code).toBe('E_WORKER_CRASHED');
    expect(fa.error?.message).toMatch(/SIGKILL/);
    expect(fb.state).toBe('done');
    expect(fb.outputs).toEqual([path.join(dir, 'outputs', 'small_bicubic_x2.png')]);
    expect(life.filter((e) => e.type === 'crash')).toHaveLength(1);
    expect(life.filter((e) => e.type === 'spawn')).toHaveLength(2); // restarted
    expect((await s['jobs.get'](a.id)).state).toBe('failed');
  });

  it('with maxAttempts a crashed job is run again and completes; cancel stops a running job', async () => {
    const { s, dir, events } = await studio({ jobStore: 'memory', maxAttempts: 2 });
    const big = await noisyPng(path.join(dir, 'big.png'), 500);
    const target = { id: '' };
    killOnInfer(s, () => target.id);
    const a = await s['jobs.enqueue']({ input: big, method: 'bilinear', scale: 4, output: { dir: path.join(dir, 'o') } });
    target.id = a.id;
    const fa = await s.queue.wait(a.id);
    expect(fa.state).toBe('done');
    expect(fa.attempts).toBe(2);
    expect(events.filter((e) => e.type === 'state' && e.jobId === a.id).map((e) => (e.type === 'state' ? e.state : ''))).toEqual([
      'queued',
      'running',
      'queued',
      'running',
      'done',
    ]);
    expect(await fs.readdir(path.join(dir, 'o'))).toEqual(['big_bilinear_x4.png']);

    const c = await s['jobs.enqueue']({ input: big, method: 'lanczos', scale: 4, output: { dir: path.join(dir, 'o') } });
    await new Promise<void>((resolve) => {
      const off = s.events.subscribe((e) => {
        if (e.topic === 'job' && e.event.type === 'progress' && e.event.jobId === c.id) {
          off();
          resolve();
        }
      });
    });
    const cancelled = await s['jobs.cancel'](c.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error?.code).toBe('E_CANCELLED');
    const retried = await s['jobs.retry'](c.id);
    expect(retried.state).toBe('queued');
    await s['jobs.cancel'](c.id);
  });

  it('survives a restart through the journal: queued jobs run, done jobs are not redone', async () => {
    const dir = await tempDir('studio-service-');
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const a = await smallPng(path.join(dir, 'a.png'));
    const b = await smallPng(path.join(dir, 'b.png'), 10, 10);

    const first = await createStudioService({ dataDir: dir, onWarning: () => undefined });
    first.queue.pause(); // accepted but not started when the "app" quits
    const ja = await first['jobs.enqueue']({ input: a, method: 'nearest', scale: 2 });
    const jb = await first['jobs.enqueue']({ input: b, method: 'nearest', scale: 2 });
    await first.dispose();

    const second = await createStudioService({ dataDir: dir, onWarning: () => undefined });
    expect((await second['jobs.list']()).map((j) => j.id)).toEqual([ja.id, jb.id]);
    expect((await second.queue.wait(ja.id)).state).toBe('done');
    expect((await second.queue.wait(jb.id)).state).toBe('done');
    await second.dispose();

    const third = await createStudioService({ dataDir: dir, onWarning: () => undefined });
    const jobs = await third['jobs.list']();
    expect(jobs.map((j) => j.state)).toEqual(['done', 'done']);
    await third.queue.whenIdle();
    expect((await fs.readdir(path.join(dir, 'outputs'))).sort()).toEqual(['a_nearest_x2.png', 'b_nearest_x2.png']);
    await third.dispose();
  });

  it('creates a missing data folder even with the in-memory job store, and keeps settings there', async () => {
    const parent = await tempDir('studio-fresh-');
    cleanup.push(() => fs.rm(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'not', 'yet');
    const { s } = await studio({ dataDir, jobStore: 'memory' });
    await s['settings.update']({ concurrency: 2 });
    const saved = JSON.parse(await fs.readFile(s.paths.settings, 'utf8')) as { concurrency?: number };
    expect(path.dirname(s.paths.settings).startsWith(dataDir)).toBe(true);
    expect(saved.concurrency).toBe(2);
  });
});
