import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/contract/errors';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { openJournal } from '../../../src-main/jobs/journal';
import { JobQueue } from '../../../src-main/jobs/queue';
import type { JobRunner } from '../../../src-main/jobs/worker-pool';
import type { WorkerJobResult } from '../../../src-main/jobs/worker-protocol';
import { stableJobOptions } from '../../../src-main/jobs/worker-protocol';

// {seq} in export names: a number the queue gives a job when it accepts it, kept in the journal,
// so every attempt (and a run after a restart) sees the same one.

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

/** Fails every run as a crashed worker would; records the jobs it was given. */
class CrashingRunner implements JobRunner {
  readonly seen: JobInfo[] = [];
  async run(job: JobInfo): Promise<WorkerJobResult> {
    this.seen.push(job);
    throw new StudioError('E_WORKER_CRASHED', 'worker killed (SIGKILL)');
  }
}

describe('job sequence numbers', () => {
  it('count up from 1, survive a restart through the journal and stay the same on every attempt', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-seq-'));
    dirs.push(dir);
    const file = path.join(dir, 'journal.jsonl');
    const runner = new CrashingRunner();

    const q1 = await JobQueue.open({ store: await openJournal(file), runner, paused: true });
    const a = await q1.enqueue({ input: '/x/a.png', method: 'bicubic', scale: 2 });
    const b = await q1.enqueue({ input: '/x/b.png', method: 'bicubic', scale: 2 });
    expect([a.seq, b.seq]).toEqual([1, 2]);
    await q1.close();

    const q2 = await JobQueue.open({ store: await openJournal(file), runner, maxAttempts: 3, paused: true });
    expect(q2.list().map((j) => [j.id, j.seq])).toEqual([
      [a.id, 1],
      [b.id, 2],
    ]);
    const c = await q2.enqueue({ input: '/x/c.png', method: 'bicubic', scale: 2 }, { maxAttempts: 3 });
    expect(c.seq).toBe(3);
    await q2.cancel(a.id);
    await q2.cancel(b.id);
    q2.resume();
    const failed = await q2.wait(c.id);
    expect(failed.attempts).toBe(3);
    // Three attempts, one number; and what the worker is told about the job is the same each time.
    expect(runner.seen.map((j) => j.seq)).toEqual([3, 3, 3]);
    expect(new Set(runner.seen.map((j) => JSON.stringify(stableJobOptions(j)))).size).toBe(1);
    expect(stableJobOptions(failed)).toEqual({ id: c.id, createdAt: c.createdAt, seq: 3 });
    await q2.close();
  });
});
