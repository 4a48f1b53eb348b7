import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudioError } from '../../../src-main/contract/errors';
import { childProcessSpawner } from '../../../src-main/jobs/child-process';
import { ProcessWorkerHost, type WorkerLifecycleEvent } from '../../../src-main/jobs/worker-host';
import type { WorkerJobEvent } from '../../../src-main/jobs/worker-protocol';
import { defaultWorkerEntry } from '../../../src-main/worker/entry';
import { noisyPng, smallPng, tempDir } from './helpers';

// A real worker process (worker/main.ts through tsx) driven by the host: the same path the CLI,
// the server and (with a utilityProcess adapter) Electron use.

let dir: string;
let host: ProcessWorkerHost;
const life: WorkerLifecycleEvent[] = [];

beforeAll(async () => {
  dir = await tempDir();
  host = new ProcessWorkerHost(childProcessSpawner({ entry: defaultWorkerEntry() }), { cancelGraceMs: 20_000 });
  host.onLifecycle((e) => life.push(e));
});
afterAll(async () => {
  await host.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The coded error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected a rejection');
}

const job = (id: string, input: string, scale = 2, method = 'lanczos') => ({
  jobId: id,
  request: { input, method, scale },
  options: { outputsDir: path.join(dir, 'out'), attempt: 1 },
});

describe('ProcessWorkerHost with a child process', () => {
  it('runs a job and reports structured progress in phase order', async () => {
    const input = await smallPng(path.join(dir, 'small.png'));
    const events: WorkerJobEvent[] = [];
    const r = await host.run(job('j1', input, 3), { onEvent: (e) => events.push(e) });
    expect(r.outputs).toEqual([path.join(dir, 'out', 'small_lanczos_x3.png')]);
    const meta = await sharp(r.outputs[0]).metadata();
    expect([meta.width, meta.height]).toEqual([72, 48]);
    const phases = events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.progress.phase : ''));
    expect(phases[0]).toBe('decode');
    expect(phases.at(-1)).toBe('encode');
    expect(phases.indexOf('infer')).toBeGreaterThan(phases.indexOf('decode'));
    expect(events.some((e) => e.type === 'output')).toBe(true);
    expect(life.map((e) => e.type).slice(0, 2)).toEqual(['spawn', 'ready']);
  });

  it('answers engine queries (models, backend)', async () => {
    const models = await host.query('models');
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(['nearest', 'bilinear', 'bicubic', 'lanczos']));
    const backend = await host.query('backend', 'cpu');
    expect(backend).toMatchObject({ active: 'cpu', preference: 'cpu' });
  });

  it('reports a coded error for a bad file and keeps the worker alive', async () => {
    const bad = path.join(dir, 'bad.jpg');
    await fs.writeFile(bad, 'not a jpeg at all');
    const pid = host.pid;
    await expect(host.run(job('j2', bad))).rejects.toMatchObject({ code: 'E_UNSUPPORTED_FORMAT' });
    await expect(host.run(job('j3', path.join(dir, 'missing.png')))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(host.pid).toBe(pid);
  });

  it('marks a job E_WORKER_CRASHED when the worker is killed with SIGKILL, then restarts for the next job', async () => {
    const big = await noisyPng(path.join(dir, 'big.png'), 600);
    const pid = host.pid as number;
    expect(pid).toBeGreaterThan(0);
    const crashed = host.run(job('j4', big, 4), {
      onEvent: (e) => {
        if (e.type === 'progress' && e.progress.phase === 'infer') process.kill(pid, 'SIGKILL');
      },
    });
    await expect(crashed).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
    const err = await rejection(crashed);
    expect(err.details?.signal).toBe('SIGKILL');
    expect(err.code).toBe('E_WORKER_CRASHED');
    expect(err.message).toMatch(/SIGKILL/);
    const crash = life.find((e) => e.type === 'crash');
    expect(crash).toMatchObject({ type: 'crash', pid, jobId: 'j4', signal: 'SIGKILL' });
    await expect(fs.access(path.join(dir, 'out', 'big_lanczos_x4.png'))).rejects.toThrow(); // nothing half-written

    const small = path.join(dir, 'small.png');
    const r = await host.run(job('j5', small, 2));
    expect(r.outputs[0]).toMatch(/small_lanczos_x2\.png$/);
    expect(host.pid).not.toBe(pid);
    expect(life.filter((e) => e.type === 'spawn')).toHaveLength(2);
  });

  it('cancels a running job through its AbortSignal', async () => {
    const big = path.join(dir, 'big.png');
    const ac = new AbortController();
    const p = host.run(job('j6', big, 4, 'bicubic'), {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.progress.phase === 'decode' && e.progress.done === 1) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(fs.access(path.join(dir, 'out', 'big_bicubic_x4.png'))).rejects.toThrow();
    expect(host.busy).toBe(false);
  });

  it('fails with E_WORKER_CRASHED and the reason when the worker cannot start', async () => {
    const broken = path.join(dir, 'broken-worker.mjs');
    await fs.writeFile(broken, "throw new Error('engine failed to load: missing native module');\n");
    const h = new ProcessWorkerHost(childProcessSpawner({ entry: broken }));
    const events: WorkerLifecycleEvent[] = [];
    h.onLifecycle((e) => events.push(e));
    const err = await rejection(h.run(job('j7', path.join(dir, 'small.png'))));
    expect(err).toMatchObject({ code: 'E_WORKER_CRASHED' });
    expect(err.message).toMatch(/while starting: exited with code 1/);
    expect(String(err.details?.stderr)).toMatch(/engine failed to load/);
    expect(events.map((e) => e.type)).toEqual(['spawn', 'exit', 'crash']);
  });
});
