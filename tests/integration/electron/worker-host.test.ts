// The engine worker under the desktop's supervision, in real processes: a crash fails the job
// with its reason, the worker restarts and the queue goes on; the host's event loop stays free
// while the worker computes. Run once with the child-process host (CLI / server) and once with
// UtilityProcessWorkerHost over a Node look-alike of utilityProcess (no Electron binary here).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UtilityProcessWorkerHost } from '../../../src-main/app/utility-worker-host';
import type { JobInfo } from '../../../src-main/contract/jobs';
import type { WorkerLifecycleEvent } from '../../../src-main/jobs/worker-host';
import { createStudioService, type StudioService, type StudioServiceOptions } from '../../../src-main/service';
import { defaultWorkerEntry } from '../../../src-main/worker/entry';
import { nodeUtilityFork } from './node-utility-process';

let dir: string;
let bigPhoto: string;
let smallPhoto: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-workerhost-'));
  // Big enough that a x4 Lanczos takes a while (the crash must land mid-job), small enough for CI.
  const w = 720;
  const h = 480;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + ((i / w) | 0) * 7) & 0xff;
  bigPhoto = path.join(dir, 'big.png');
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(bigPhoto);
  smallPhoto = path.join(dir, 'small.png');
  await sharp({ create: { width: 32, height: 24, channels: 3, background: '#336699' } }).png().toFile(smallPhoto);
});

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function finished(svc: StudioService, id: string, timeoutMs = 90_000): Promise<JobInfo> {
  const t0 = Date.now();
  for (;;) {
    const j = await svc['jobs.get'](id);
    if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${j.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hosts: [string, (d: string) => StudioServiceOptions['workerHost']][] = [
  ['child-process host', () => undefined],
  ['UtilityProcessWorkerHost', () => () => new UtilityProcessWorkerHost(nodeUtilityFork, { entry: defaultWorkerEntry() })],
];

describe.each(hosts)('%s', (_name, makeHost) => {
  let svc: StudioService;
  const lifecycle: WorkerLifecycleEvent[] = [];

  beforeAll(async () => {
    const dataDir = await fs.mkdtemp(path.join(dir, 'data-'));
    svc = await createStudioService({ dataDir, jobStore: 'memory', workerHost: makeHost(dataDir), onWarning: () => undefined });
    svc.workers.onLifecycle((e) => lifecycle.push(e));
  });

  afterAll(async () => {
    await svc?.dispose();
  });

  it('crash -> the job fails with the reason -> the worker restarts -> the queue goes on', async () => {
    const progressOf = new Set<string>();
    const stop = svc.events.subscribe((e) => {
      if (e.topic === 'job' && e.event.type === 'progress') progressOf.add(e.event.jobId);
    });
    const out = path.join(dir, 'out-crash');
    const a = await svc['jobs.enqueue']({ input: bigPhoto, method: 'lanczos', scale: 4, output: { dir: out, format: 'png' } });
    const b = await svc['jobs.enqueue']({ input: smallPhoto, method: 'bicubic', scale: 2, output: { dir: out, format: 'png' } });

    // Kill the engine process once it is working on job A (out of memory in native code, say).
    await until('job A to report progress', () => progressOf.has(a.id));
    const worker = svc.workers.workers()[0];
    const pid = await until('the worker pid', () => worker?.pid);
    // The desktop host runs the engine below normal priority so the window wins the CPU.
    if (_name === 'UtilityProcessWorkerHost') expect(os.getPriority(pid)).toBe(os.constants.priority.PRIORITY_BELOW_NORMAL);
    process.kill(pid, 'SIGKILL');

    const ja = await finished(svc, a.id);
    expect(ja.state).toBe('failed');
    expect(ja.error?.code).toBe('E_WORKER_CRASHED');
    expect(ja.error?.message).toMatch(/engine process stopped while running this job: (killed by SIGKILL|exited with code)/);

    const jb = await finished(svc, b.id);
    expect(jb.state).toBe('done');
    const meta = await sharp(jb.outputs[0]).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);

    const crash = lifecycle.find((e) => e.type === 'crash');
    expect(crash).toMatchObject({ type: 'crash', pid, jobId: a.id });
    const crashAt = lifecycle.indexOf(crash as WorkerLifecycleEvent);
    const respawn = lifecycle.slice(crashAt).find((e) => e.type === 'ready');
    expect(respawn?.pid).toBeDefined();
    expect(respawn?.pid).not.toBe(pid);
    stop();
  }, 180_000);

  it("keeps the host's event loop free while the worker computes", async () => {
    const models = (await svc['models.list']()).map((m) => m.id);
    // ZSSR training when the engine has it (a few steps); otherwise the heaviest classical job.
    const request = models.includes('zssr')
      ? { input: smallPhoto, method: 'zssr', scale: 2, preset: 'draft' as const, zssr: { num_epochs: 40, crop_size: 16 }, noCache: true, output: { dir: path.join(dir, 'out-loop'), format: 'png' as const } }
      : { input: bigPhoto, method: 'lanczos', scale: 4, output: { dir: path.join(dir, 'out-loop'), format: 'png' as const } };
    const h = monitorEventLoopDelay({ resolution: 5 });
    // A late timer on a crowded machine is mostly the scheduler; the CPU this process used
    // inside each late interval bounds how long our own code can have blocked the loop.
    let maxCpuInStall = 0;
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const tick = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      if (now - last > 60) maxCpuInStall = Math.max(maxCpuInStall, (cpu.user + cpu.system) / 1000);
      last = now;
      lastCpu = process.cpuUsage();
    }, 10);
    h.enable();
    const job = await svc['jobs.enqueue'](request);
    const done = await finished(svc, job.id);
    h.disable();
    clearInterval(tick);
    expect(done.state).toBe('done');
    const maxMs = h.max / 1e6;
    const p99Ms = h.percentile(99) / 1e6;
    console.log(
      `[event loop] ${request.method} job: max ${maxMs.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms, most CPU inside one stall ${maxCpuInStall.toFixed(1)} ms, ${h.count} samples`,
    );
    expect(h.count).toBeGreaterThan(10);
    // Wall-clock delay depends on how crowded the machine is (bench/desktop.ts reports it); what
    // this process itself can have done inside any stall must stay under 50 ms.
    expect(maxCpuInStall).toBeLessThan(50);
  }, 180_000);
});
