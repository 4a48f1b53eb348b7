import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import { FarmQueue } from '../../../src-main/jobs/farm/farm-queue';
import { WORKER_OPTIONS } from '../../../src-main/cli/commands/worker';
import { studio } from '../run-studio';
import { noisyPng, tempDir } from '../worker/helpers';
import { cleanupHooks, freePort, RedisServer, startWorker, stopProcess, workerReady } from './helpers';

// `studio worker` as a studio's IT person runs it: --help names every option, the start says
// where it takes jobs from, and SIGTERM (systemctl stop, docker stop) drains: the running job
// finishes, or goes back to the queue for another worker, and the worker exits 0.

const { cleanups, roots } = cleanupHooks();

async function setup() {
  const root = await tempDir('studio-farm-cli-');
  roots.push(root);
  const d = (n: string) => path.join(root, n);
  for (const n of ['in', 'out', 'shared', 'redis']) await fs.mkdir(d(n), { recursive: true });
  const redis = new RedisServer(d('redis'), await freePort());
  await redis.start();
  cleanups.push(() => redis.stop());
  const q = await FarmQueue.open({ setting: { kind: 'redis', url: redis.url } });
  cleanups.push(() => q.close());
  const photo = await noisyPng(path.join(d('in'), 'shot.png'), 400);
  const worker = (name: string, extra: string[] = []) => {
    const w = startWorker(['--queue', redis.url, '--shared-dir', d('shared'), '--name', name, '--lock-ms', '600000', ...extra], { STUDIO_DATA_DIR: d(`data-${name}`) });
    cleanups.push(() => stopProcess(w, 'SIGKILL'));
    return w;
  };
  return { d, redis, q, photo, worker };
}

/** A job that takes a few seconds (a noisy photo x8 with lanczos: a 10-megapixel PNG to write). */
function slow(input: string, outDir: string): EnhanceRequest {
  return { input, method: 'lanczos', scale: 8, output: { dir: outDir, format: 'png' } };
}

/** Watches from now on: `runningOn(id)` resolves with the worker once that job is seen running. */
function watchRunning(q: FarmQueue): (jobId: string) => Promise<string> {
  const seen = new Map<string, string>();
  const waiters = new Map<string, (worker: string) => void>();
  q.subscribe((e) => {
    if (e.type !== 'state' || e.state !== 'running' || !e.job?.worker || seen.has(e.jobId)) return;
    seen.set(e.jobId, e.job.worker);
    waiters.get(e.jobId)?.(e.job.worker);
  });
  return (jobId) => new Promise((resolve) => (seen.has(jobId) ? resolve(seen.get(jobId) as string) : waiters.set(jobId, resolve)));
}

async function exitCode(p: ReturnType<typeof startWorker>): Promise<number | null> {
  if (p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once('exit', r));
  return p.exitCode;
}

describe('studio worker for the people who run it', () => {
  it('--help names every option it accepts; the start names queue, name, concurrency and path maps', async () => {
    const help = await studio(['worker', '--help']);
    expect(help.code).toBe(0);
    const accepted = [...Object.keys(WORKER_OPTIONS), 'queue', 'queue-prefix', 'insecure', 'data-dir'];
    expect(accepted.filter((o) => !new RegExp(`^\\s+--${o}\\b`, 'm').test(help.stdout))).toEqual([]);
    // And nothing in the help that it does not accept.
    const listed = [...help.stdout.matchAll(/^\s+--([a-z-]+)/gm)].map((m) => m[1]);
    expect(listed.filter((o) => !accepted.includes(o))).toEqual([]);

    const { d, redis, worker } = await setup();
    const w = worker('render-3', ['--concurrency', '2', '--path-map', `/mnt/studio=${d('in')}`]);
    await workerReady(w);
    const log = w.log.join('');
    expect(log).toContain(`render-3 takes jobs from ${redis.url}, prefix studio, 2 at a time`);
    expect(log).toContain(`path map: /mnt/studio (coordinator) = ${d('in')} (here)`);
    expect(log).toContain(`shared folder ${d('shared')}`);
  }, 60_000);

  it('SIGTERM mid-job: the job finishes, no new one is taken, the worker exits 0', async () => {
    const { d, q, photo, worker } = await setup();
    const w = worker('alpha');
    await workerReady(w);
    const runningOn = watchRunning(q);
    const first = await q.enqueue(slow(photo, d('out')));
    const second = await q.enqueue({ input: photo, method: 'bicubic', scale: 2, output: { dir: d('out'), format: 'png' } });
    expect(await runningOn(first.id)).toBe('alpha');
    w.kill('SIGTERM');
    expect(await exitCode(w)).toBe(0);
    expect(w.log.join('')).toContain('stopped (1 finished while draining, 0 put back in the queue)');
    expect(await q.wait(first.id)).toMatchObject({ state: 'done', worker: 'alpha', attempts: 1 });
    expect(q.get(second.id).state).toBe('queued');
    expect(await fs.readdir(d('out'))).toEqual(['shot_lanczos_x8.png']);
  }, 90_000);

  it('SIGTERM with a job that does not finish in --drain-ms: it goes back to the queue and another worker takes it at once', async () => {
    const { d, q, photo, worker } = await setup();
    const w = worker('alpha', ['--drain-ms', '0']);
    await workerReady(w);
    const runningOn = watchRunning(q);
    const job = await q.enqueue(slow(photo, d('out')));
    expect(await runningOn(job.id)).toBe('alpha');
    w.kill('SIGTERM');
    expect(await exitCode(w)).toBe(0);
    expect(w.log.join('')).toContain('stopped (0 finished while draining, 1 put back in the queue)');
    // Back in the queue, not failed, and not left for its lock (10 minutes here) to expire.
    await expect.poll(() => q.find(job.id)?.state).toBe('queued');
    expect(await fs.readdir(d('out'))).toEqual([]);
    const b = worker('beta');
    await workerReady(b);
    expect(await q.wait(job.id)).toMatchObject({ state: 'done', worker: 'beta', attempts: 2 });
    expect(await fs.readdir(d('out'))).toEqual(['shot_lanczos_x8.png']);
  }, 90_000);
});
