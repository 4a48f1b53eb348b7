import { describe, expect, it } from 'vitest';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import { StudioError } from '../../../src-main/contract/errors';
import type { JobEvent, JobInfo } from '../../../src-main/contract/jobs';
import { JobQueue } from '../../../src-main/jobs/queue';
import { canTransition } from '../../../src-main/jobs/record';
import { MemoryJobStore } from '../../../src-main/jobs/store';
import type { JobRunner } from '../../../src-main/jobs/worker-pool';
import type { WorkerJobEvent, WorkerJobResult } from '../../../src-main/jobs/worker-protocol';

// The queue's state machine against a scripted runner: each job waits until the test settles
// it, so order, concurrency and transitions are observed exactly. Real worker processes are
// exercised in tests/integration/jobs.

interface Pending {
  job: JobInfo;
  signal: AbortSignal;
  emit(e: WorkerJobEvent): void;
  resolve(r: WorkerJobResult): void;
  reject(e: unknown): void;
}

class ScriptedRunner implements JobRunner {
  readonly started: Pending[] = [];
  private waiters: (() => void)[] = [];
  run(job: JobInfo, h: { signal: AbortSignal; onEvent?(e: WorkerJobEvent): void }): Promise<WorkerJobResult> {
    return new Promise((resolve, reject) => {
      const p: Pending = { job, signal: h.signal, emit: (e) => h.onEvent?.(e), resolve, reject };
      h.signal.addEventListener('abort', () => reject(new StudioError('E_CANCELLED', 'cancelled')), { once: true });
      this.started.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async nth(i: number): Promise<Pending> {
    while (this.started.length <= i) await new Promise<void>((r) => this.waiters.push(r));
    return this.started[i];
  }
}

const req = (input: string): EnhanceRequest => ({ input, method: 'bicubic', scale: 2 });

async function setup(opts: { concurrency?: number; maxAttempts?: number } = {}) {
  const runner = new ScriptedRunner();
  const store = new MemoryJobStore();
  const queue = await JobQueue.open({ store, runner, ...opts });
  const events: JobEvent[] = [];
  queue.subscribe((e) => events.push(e));
  const states = (id: string) => events.filter((e) => e.type === 'state' && e.jobId === id).map((e) => (e as { state: string }).state);
  return { runner, store, queue, events, states };
}

describe('job state machine', () => {
  it('allows exactly the documented transitions', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('running', 'done')).toBe(true);
    expect(canTransition('running', 'queued')).toBe(true); // crash recovery / automatic retry
    expect(canTransition('failed', 'queued')).toBe(true);
    expect(canTransition('done', 'queued')).toBe(false);
    expect(canTransition('done', 'cancelled')).toBe(false);
    expect(canTransition('queued', 'done')).toBe(false);
  });
});

describe('JobQueue', () => {
  it('runs jobs in FIFO order, one at a time by default, through queued -> running -> done', async () => {
    const { runner, queue, states } = await setup();
    const a = await queue.enqueue(req('/a.png'));
    const b = await queue.enqueue(req('/b.png'));
    const first = await runner.nth(0);
    expect(first.job.id).toBe(a.id);
    expect(queue.get(b.id).state).toBe('queued');
    expect(runner.started).toHaveLength(1);
    first.emit({ type: 'progress', progress: { phase: 'infer', done: 3, total: 10 } });
    expect(queue.get(a.id).progress).toEqual({ phase: 'infer', done: 3, total: 10 });
    first.resolve({ outputs: ['/out/a_bicubic_x2.png'], backend: 'cpu' });
    const second = await runner.nth(1);
    expect(second.job.id).toBe(b.id);
    const doneA = queue.get(a.id);
    expect(doneA.state).toBe('done');
    expect(doneA.outputs).toEqual(['/out/a_bicubic_x2.png']);
    expect(doneA.backend).toBe('cpu');
    expect(doneA.attempts).toBe(1);
    expect(states(a.id)).toEqual(['queued', 'running', 'done']);
    second.reject(new StudioError('E_CORRUPT_IMAGE', 'truncated'));
    const failed = await queue.wait(b.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('E_CORRUPT_IMAGE');
    await queue.whenIdle();
  });

  it('honours the concurrency setting and changes it at run time', async () => {
    const { runner, queue } = await setup({ concurrency: 2 });
    for (const n of ['a', 'b', 'c', 'd']) await queue.enqueue(req(`/${n}.png`));
    await runner.nth(1);
    expect(queue.counts()).toMatchObject({ running: 2, queued: 2 });
    queue.setConcurrency(3);
    await runner.nth(2);
    expect(queue.counts()).toMatchObject({ running: 3, queued: 1 });
    for (const p of runner.started) p.resolve({ outputs: [] });
    await runner.nth(3);
    runner.started[3].resolve({ outputs: [] });
    await queue.whenIdle();
    expect(queue.counts()).toMatchObject({ done: 4, running: 0, queued: 0 });
  });

  it('cancels a queued job without running it and a running job through its AbortSignal', async () => {
    const { runner, queue, states } = await setup();
    const a = await queue.enqueue(req('/a.png'));
    const b = await queue.enqueue(req('/b.png'));
    const first = await runner.nth(0);
    const cb = await queue.cancel(b.id);
    expect(cb.state).toBe('cancelled');
    expect(cb.error?.code).toBe('E_CANCELLED');
    const ca = await queue.cancel(a.id);
    expect(first.signal.aborted).toBe(true);
    expect(ca.state).toBe('cancelled');
    expect(states(a.id)).toEqual(['queued', 'running', 'cancelled']);
    await queue.whenIdle();
    expect(runner.started).toHaveLength(1); // b never ran
    await expect(queue.cancel('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('retries a failed or cancelled job under the same id and refuses to redo a done one', async () => {
    const { runner, queue } = await setup();
    const a = await queue.enqueue(req('/a.png'));
    (await runner.nth(0)).reject(new StudioError('E_BACKEND_UNAVAILABLE', 'no gpu'));
    await queue.wait(a.id);
    const again = await queue.retry(a.id);
    expect(again.state).toBe('queued');
    expect(again.error).toBeUndefined();
    (await runner.nth(1)).resolve({ outputs: ['/o.png'] });
    const done = await queue.wait(a.id);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(2);
    await expect(queue.retry(a.id)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(queue.cancel(a.id)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('re-queues a job whose worker crashed while it has attempts left, then fails it', async () => {
    const { runner, queue, states } = await setup({ maxAttempts: 2 });
    const a = await queue.enqueue(req('/a.png'));
    (await runner.nth(0)).reject(new StudioError('E_WORKER_CRASHED', 'killed by SIGKILL'));
    (await runner.nth(1)).reject(new StudioError('E_WORKER_CRASHED', 'killed by SIGKILL'));
    const j = await queue.wait(a.id);
    expect(j.state).toBe('failed');
    expect(j.error?.code).toBe('E_WORKER_CRASHED');
    expect(j.attempts).toBe(2);
    expect(states(a.id)).toEqual(['queued', 'running', 'queued', 'running', 'failed']);
  });

  it('is idempotent per key and lists jobs by watch id', async () => {
    const { runner, queue } = await setup();
    const first = await queue.submit(req('/w/a.png'), { watchId: 'w1', key: 'hash-a:recipe' });
    const dup = await queue.submit(req('/w/renamed-a.png'), { watchId: 'w1', key: 'hash-a:recipe' });
    expect(first.duplicate).toBe(false);
    expect(dup.duplicate).toBe(true);
    expect(dup.job.id).toBe(first.job.id);
    await queue.enqueue(req('/other.png'));
    expect(queue.list({ watchId: 'w1' }).map((j) => j.id)).toEqual([first.job.id]);
    expect(queue.findByKey('hash-a:recipe')?.id).toBe(first.job.id);
    // A failed job's key may be submitted again: that is a new attempt at the file.
    (await runner.nth(0)).reject(new StudioError('E_CORRUPT_IMAGE', 'bad'));
    await queue.wait(first.job.id);
    const again = await queue.submit(req('/w/a.png'), { watchId: 'w1', key: 'hash-a:recipe' });
    expect(again.duplicate).toBe(false);
    expect(again.job.id).not.toBe(first.job.id);
    expect(queue.list({ watchId: 'w1', state: 'failed' })).toHaveLength(1);
    (await runner.nth(1)).resolve({ outputs: [] });
    (await runner.nth(2)).resolve({ outputs: [] });
    await queue.whenIdle();
  });

  it('keeps the loss curve bounded and records train events', async () => {
    const { runner, queue, events } = await setup();
    const a = await queue.enqueue({ ...req('/a.png'), method: 'zssr' });
    const p = await runner.nth(0);
    for (let s = 1; s <= 2000; s++) p.emit({ type: 'train', step: s, totalSteps: 2000, loss: 1 / s, lr: 1e-3 });
    const loss = queue.get(a.id).loss ?? [];
    expect(loss.length).toBeGreaterThan(100);
    expect(loss.length).toBeLessThanOrEqual(400);
    expect(loss[0].step).toBe(1);
    expect(loss.every((pt, i) => i === 0 || pt.step > loss[i - 1].step)).toBe(true);
    expect(events.filter((e) => e.type === 'train')).toHaveLength(2000);
    p.resolve({ outputs: [] });
    await queue.whenIdle();
  });

  it('reloads from its store: queued jobs run, done jobs are not redone, interrupted ones run again', async () => {
    const store = new MemoryJobStore();
    const runner1 = new ScriptedRunner();
    const q1 = await JobQueue.open({ store, runner: runner1 });
    const a = await q1.enqueue(req('/a.png'));
    const b = await q1.enqueue(req('/b.png'));
    const c = await q1.enqueue(req('/c.png'));
    (await runner1.nth(0)).resolve({ outputs: ['/a.out.png'] });
    await runner1.nth(1); // b is running when the process "stops"
    await q1.close();
    const runner2 = new ScriptedRunner();
    const q2 = await JobQueue.open({ store, runner: runner2 });
    expect(q2.get(a.id).state).toBe('done');
    const again = await runner2.nth(0);
    expect(again.job.id).toBe(b.id); // the interrupted job first, then the queued one
    again.resolve({ outputs: [] });
    expect((await runner2.nth(1)).job.id).toBe(c.id);
    runner2.started[1].resolve({ outputs: [] });
    await q2.whenIdle();
    expect(runner2.started.map((p) => p.job.id)).toEqual([b.id, c.id]);
  });
});
