// The farm (BullMQ on Redis) against the local queue: what a job costs going through Redis, and
// photos/min with 1, 2 and 3 `studio worker` processes. The job mix is small photos at x2
// (bicubic), where a job's time is mostly waiting (Redis round trips, the engine's IPC, fsyncs of
// the output and its ledger) rather than computing, so this 2-core machine can show how workers
// add up; CPU-heavy jobs (ZSSR, ESRGAN) scale with the machines' cores instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { BenchContext } from './context';
import type { EnhanceRequest } from '../src-main/contract/enhance';
import { FarmQueue } from '../src-main/jobs/farm/farm-queue';
import { createStudioService } from '../src-main/service';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startWorker(url: string, name: string, shared: string, dataDir: string): ChildProcess & { out: string } {
  const p = spawn(process.execPath, [path.join(root, 'bin/studio.js'), 'worker', '--queue', url, '--name', name, '--shared-dir', shared], {
    env: { ...process.env, STUDIO_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { out: string };
  p.out = '';
  p.stdout?.setEncoding('utf8').on('data', (t: string) => (p.out += t));
  p.stderr?.resume();
  return p;
}

export async function run(ctx: BenchContext): Promise<string> {
  const dir = path.join(ctx.tmpDir, 'farm');
  const inDir = path.join(dir, 'in');
  await fs.mkdir(inDir, { recursive: true });
  const n = ctx.quick ? 24 : 60;
  const inputs: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(inDir, `p${i}.png`);
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: (i * 37) % 255, g: 90, b: 160 } } }).png().toFile(file);
    inputs.push(file);
  }
  const req = (input: string, out: string): EnhanceRequest => ({ input, method: 'bicubic', scale: 2, output: { dir: out, format: 'png' } });

  // Local queue: journal + one engine process, the same jobs one at a time.
  const local = await createStudioService({ dataDir: path.join(dir, 'local-data'), concurrency: 1, settingsDefaults: false });
  await local.queue.wait((await local.queue.enqueue(req(inputs[0], path.join(dir, 'warm')))).id); // engine started
  let t = performance.now();
  const localJobs = await Promise.all(inputs.map((p) => local.queue.enqueue(req(p, path.join(dir, 'out-local')))));
  await Promise.all(localJobs.map((j) => local.queue.wait(j.id)));
  const localMs = (performance.now() - t) / n;
  await local.dispose();

  const redisDir = path.join(dir, 'redis');
  await fs.mkdir(redisDir, { recursive: true });
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const rows: { workers: number; msPerJob: number; perMin: number }[] = [];
  try {
    await new Promise((r) => setTimeout(r, 500));
    const q = await FarmQueue.open({ setting: { kind: 'redis', url } });
    const workers: (ChildProcess & { out: string })[] = [];
    try {
      for (const count of [1, 2, 3]) {
        while (workers.length < count) {
          const w = startWorker(url, `bench-${workers.length + 1}`, path.join(dir, 'shared'), path.join(dir, `data-${workers.length + 1}`));
          workers.push(w);
          await until(() => w.out.includes(': ready'), 'worker ready');
        }
        // Warm each worker's engine process before timing.
        await Promise.all(Array.from({ length: count * 2 }, async (_, i) => q.wait((await q.enqueue(req(inputs[i], path.join(dir, `warm-${count}`)))).id)));
        t = performance.now();
        const jobs = await Promise.all(inputs.map((p) => q.enqueue(req(p, path.join(dir, `out-farm-${count}`)))));
        const done = await Promise.all(jobs.map((j) => q.wait(j.id)));
        const ms = performance.now() - t;
        if (done.some((j) => j.state !== 'done')) throw new Error(`farm jobs failed: ${JSON.stringify(done.find((j) => j.state !== 'done')?.error)}`);
        rows.push({ workers: count, msPerJob: ms / n, perMin: (n / ms) * 60_000 });
      }
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode === null ? once(w, 'exit') : undefined)));
      await q.close();
    }
  } finally {
    redis.kill('SIGTERM');
    await once(redis, 'exit').catch(() => undefined);
  }
  const one = rows[0];
  return [
    '## Farm (BullMQ on Redis)',
    '',
    `${n} photos of 96×64 at x2 (bicubic, PNG), Redis on loopback with appendonly; \`studio worker\` processes on this machine.`,
    '',
    '| queue | workers | ms/job | photos/min | vs 1 worker |',
    '|---|---|---|---|---|',
    `| local (journal + engine process) | 1 | ${localMs.toFixed(1)} | ${((1 / localMs) * 60_000).toFixed(0)} | |`,
    ...rows.map((r) => `| farm | ${r.workers} | ${r.msPerJob.toFixed(1)} | ${r.perMin.toFixed(0)} | ${(r.perMin / one.perMin).toFixed(2)}× |`),
    '',
    `Overhead of the farm per job with one worker: ${(one.msPerJob - localMs).toFixed(1)} ms (Redis round trips, the lock, events to the coordinator).`,
    'These jobs mostly wait (IPC, Redis, fsync), so workers add up even on 2 cores. On a real farm of N machines,',
    'CPU-bound jobs (ZSSR, ESRGAN: seconds to minutes each) scale close to N: the per-job overhead above is',
    'milliseconds against that, and each machine runs its own engine processes.',
  ].join('\n');
}
