import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { FarmQueue } from '../../../src-main/jobs/farm/farm-queue';
import { noisyPng, tempDir } from '../worker/helpers';
import { cleanupHooks, freePort, RedisServer, startWorker, stopProcess, workerReady } from './helpers';

// The farm with real parts: redis-server, `studio worker` processes, the coordinator's FarmQueue.
// Exactly once per photo whatever dies: a worker (SIGKILL), Redis (restart), the coordinator.

const { cleanups, roots } = cleanupHooks();

interface Farm {
  root: string;
  inDir: string;
  outDir: string;
  shared: string;
  redis: RedisServer;
}

async function farm(photos: number, side = 160): Promise<Farm & { inputs: string[] }> {
  const root = await tempDir('studio-farm-');
  roots.push(root);
  const f = { root, inDir: path.join(root, 'in'), outDir: path.join(root, 'out'), shared: path.join(root, 'shared'), redisDir: path.join(root, 'redis') };
  for (const d of [f.inDir, f.outDir, f.shared, f.redisDir]) await fs.mkdir(d, { recursive: true });
  const redis = new RedisServer(f.redisDir, await freePort());
  await redis.start();
  cleanups.push(() => redis.stop());
  const inputs: string[] = [];
  for (let i = 0; i < photos; i++) inputs.push(await noisyPng(path.join(f.inDir, `p${String(i).padStart(2, '0')}.png`), side));
  return { ...f, redis, inputs };
}

function request(f: Farm, input: string): EnhanceRequest {
  return { input, method: 'bicubic', scale: 8, output: { dir: f.outDir, format: 'png' } };
}

function worker(f: Farm, name: string, extra: string[] = []) {
  const p = startWorker(['--queue', f.redis.url, '--shared-dir', f.shared, '--name', name, '--lock-ms', '1500', ...extra], { STUDIO_DATA_DIR: path.join(f.root, `data-${name}`) });
  cleanups.push(() => stopProcess(p, 'SIGKILL'));
  return p;
}

async function hashes(files: string[]): Promise<string[]> {
  return Promise.all(files.map(async (p) => createHash('sha256').update(await fs.readFile(p)).digest('hex')));
}

/** Every file under dir (hidden ones too), relative, sorted. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out.sort();
}

async function expectExactOutputs(f: Farm & { inputs: string[] }, before: string[]): Promise<void> {
  const expected = f.inputs.map((p) => `${path.basename(p, '.png')}_bicubic_x8.png`).sort();
  expect(await listing(f.outDir)).toEqual(expected); // none missing, none twice, no temporary files
  for (const name of expected) {
    const meta = await sharp(path.join(f.outDir, name)).metadata(); // whole, decodable files
    expect([meta.width, meta.height]).toEqual([1280, 1280]);
  }
  expect(await hashes(f.inputs)).toEqual(before); // originals byte-identical
}

async function submitAll(q: FarmQueue, f: Farm & { inputs: string[] }): Promise<JobInfo[]> {
  return Promise.all(f.inputs.map((input) => q.enqueue(request(f, input), { key: `${input}:bicubic-x8`, maxAttempts: 3 })));
}

describe('studio farm on Redis (real redis-server and worker processes)', () => {
  it('3 workers, 60 photos, one worker SIGKILLed mid-job 5 times: exactly 60 outputs, originals untouched', async () => {
    const f = await farm(60);
    const before = await hashes(f.inputs);
    const q = await FarmQueue.open({ setting: { kind: 'redis', url: f.redis.url } });
    cleanups.push(() => q.close());
    let victim = worker(f, 'alpha');
    await workerReady(victim);

    // The victim is killed as soon as it is seen running a job (the engine is then mid-job). The
    // other two join after its second death: started together, they could finish the batch
    // while it restarts, before it died five times.
    let kills = 0;
    let killing = false;
    const others: Promise<void>[] = [];
    const off = q.subscribe((e) => {
      if (e.type !== 'state' || e.state !== 'running' || e.job?.worker !== 'alpha' || kills >= 5 || killing) return;
      killing = true;
      kills++;
      if (kills === 2) others.push(...['beta', 'gamma'].map((n) => workerReady(worker(f, n))));
      void (async () => {
        await stopProcess(victim, 'SIGKILL');
        victim = worker(f, 'alpha');
        await workerReady(victim);
        killing = false;
      })();
    });
    const jobs = await submitAll(q, f);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(60);
    // The same photo and recipe again is the same job (the idempotency key is the job id).
    const again = await q.submit(request(f, f.inputs[0]), { key: `${f.inputs[0]}:bicubic-x8` });
    expect(again).toMatchObject({ duplicate: true, job: { id: jobs[0].id } });

    const finished = await Promise.all(jobs.map((j) => q.wait(j.id)));
    off();
    await Promise.all(others);
    expect(kills).toBe(5);
    expect(finished.filter((j) => j.state !== 'done').map((j) => [j.state, j.error])).toEqual([]);
    expect(new Set(finished.map((j) => j.worker))).toEqual(new Set(['alpha', 'beta', 'gamma']));
    expect(finished.some((j) => (j.attempts ?? 0) > 1)).toBe(true); // some were taken over after a kill
    await expectExactOutputs(f, before);
    expect(await listing(path.join(f.shared, 'jobs', 'outputs')).catch(() => [])).toEqual([]); // ledgers gone once done
  }, 150_000);

  it('Redis restarted mid-batch (AOF on): the batch completes, once per photo', async () => {
    const f = await farm(16);
    const before = await hashes(f.inputs);
    const q = await FarmQueue.open({ setting: { kind: 'redis', url: f.redis.url } });
    cleanups.push(() => q.close());
    const workers = [worker(f, 'alpha'), worker(f, 'beta')];
    await Promise.all(workers.map((w) => workerReady(w)));
    const jobs = await submitAll(q, f);
    await new Promise<void>((resolve) => {
      const off = q.subscribe((e) => {
        if (e.type === 'state' && e.state === 'done' && q.list({ state: 'done' }).length >= 3) {
          off();
          resolve();
        }
      });
    });
    await f.redis.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await f.redis.start();
    const finished = await Promise.all(jobs.map((j) => q.wait(j.id)));
    expect(finished.filter((j) => j.state !== 'done').map((j) => [j.state, j.error])).toEqual([]);
    await expectExactOutputs(f, before);
  }, 90_000);

  it('Redis gone for good: open jobs fail visibly (E_FARM_UNAVAILABLE), new ones are refused', async () => {
    const f = await farm(3, 32);
    const q = await FarmQueue.open({ setting: { kind: 'redis', url: f.redis.url }, unavailableMs: 1000, callTimeoutMs: 1500 });
    cleanups.push(() => q.close());
    const jobs = await submitAll(q, f); // no worker: they stay queued
    expect(jobs.every((j) => j.state === 'queued')).toBe(true);
    await f.redis.stop();
    const failed = await Promise.all(jobs.map((j) => q.wait(j.id)));
    expect(failed.map((j) => [j.state, j.error?.code])).toEqual(jobs.map(() => ['failed', 'E_FARM_UNAVAILABLE']));
    await expect(q.enqueue(request(f, f.inputs[0]))).rejects.toMatchObject({ code: 'E_FARM_UNAVAILABLE' });
  }, 60_000);

  it('the coordinator killed and restarted: every accepted job is still there and runs once', async () => {
    const f = await farm(8);
    const before = await hashes(f.inputs);
    // A coordinator in its own process accepts the jobs, then is SIGKILLed.
    const { spawn } = await import('node:child_process');
    const script = `
      const { FarmQueue } = await import(${JSON.stringify(path.resolve('src-main/jobs/farm/farm-queue.ts'))});
      const q = await FarmQueue.open({ setting: { kind: 'redis', url: ${JSON.stringify(f.redis.url)} } });
      for (const input of ${JSON.stringify(f.inputs)}) await q.enqueue(${JSON.stringify(request(f, '@'))}.input === '@' ? { ...${JSON.stringify(request(f, '@'))}, input } : null, { key: input + ':bicubic-x8' });
      console.log('accepted');
      setInterval(() => {}, 1000);`;
    const coord = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => stopProcess(coord, 'SIGKILL'));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      coord.stdout?.setEncoding('utf8').on('data', (t: string) => {
        out += t;
        if (out.includes('accepted')) resolve();
      });
      coord.on('exit', (c) => reject(new Error(`coordinator exited ${c}`)));
    });
    await stopProcess(coord, 'SIGKILL');

    const q = await FarmQueue.open({ setting: { kind: 'redis', url: f.redis.url } });
    cleanups.push(() => q.close());
    expect(q.list().map((j) => path.basename(j.request.input)).sort()).toEqual(f.inputs.map((p) => path.basename(p)).sort());
    // Submitting again after the crash is the same jobs, not new ones.
    const again = await submitAll(q, f);
    expect(new Set(again.map((j) => j.id))).toEqual(new Set(q.list().map((j) => j.id)));
    worker(f, 'alpha');
    const finished = await Promise.all(q.list().map((j) => q.wait(j.id)));
    expect(finished.every((j) => j.state === 'done' && j.worker === 'alpha')).toBe(true);
    await expectExactOutputs(f, before);
  }, 90_000);

  it('a worker that cannot see the photo fails the job with E_FARM_FILE_MISSING; cancel reaches a queued job', async () => {
    const f = await farm(2, 32);
    const q = await FarmQueue.open({ setting: { kind: 'redis', url: f.redis.url } });
    cleanups.push(() => q.close());
    // This worker mounts the coordinator's input folder somewhere that does not exist.
    const w = worker(f, 'elsewhere', ['--path-map', `${f.inDir}=/nonexistent/share`]);
    await workerReady(w);
    const job = await q.enqueue(request(f, f.inputs[0]));
    const failed = await q.wait(job.id);
    expect(failed).toMatchObject({ state: 'failed', worker: 'elsewhere', error: { code: 'E_FARM_FILE_MISSING' } });
    expect(failed.error?.message).toContain('/nonexistent/share/p00.png');
    expect(failed.error?.message).toContain('--path-map');
    await stopProcess(w);
    const queued = await q.enqueue(request(f, f.inputs[1]));
    const cancelled = await q.cancel(queued.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: { code: 'E_CANCELLED' } });
    expect(await listing(f.outDir)).toEqual([]);
  }, 60_000);
});
