// Desktop shell: does the host process stay responsive while the engine trains (event-loop
// delay of the process that owns the window, against an idle baseline on the same machine),
// how fast a crashed engine process comes back, what one IPC call costs (sender check + zod),
// what a preview costs through studio-media://, and how big the sandboxed preload is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { BenchContext } from './context';
import { peakRssMiB } from './context';
import { createMediaHandler } from '../src-main/app/media-protocol';
import { lowerPriority } from '../src-main/app/utility-worker-host';
import { mediaUrlOf } from '../src-main/contract/bridge';
import { studioApi, type StudioApi } from '../src-main/contract/api';
import type { EnhanceRequest } from '../src-main/contract/enhance';
import type { JobInfo } from '../src-main/contract/jobs';
import { createIpcHandlers } from '../src-main/ipc/handlers';
import { childProcessSpawner } from '../src-main/jobs/child-process';
import { ProcessWorkerHost } from '../src-main/jobs/worker-host';
import { createStudioService, type StudioService } from '../src-main/service';
import { defaultWorkerEntry } from '../src-main/worker/entry';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface LoopStats {
  seconds: number;
  max: number;
  p99: number;
  p999: number;
  mean: number;
  over50: number;
  /** Most CPU this process used inside one > 50 ms stall: an upper bound of time our code blocked. */
  maxCpuInStall: number;
  load: number;
}

/**
 * Event-loop delay while `work` runs (resolution 10 ms). Each stall above 50 ms is also split
 * into "this process was on a CPU" and "it was waiting for one": on a crowded machine a late
 * timer is mostly the scheduler, not code blocking the loop.
 */
async function loopDelay(work: () => Promise<void>): Promise<LoopStats> {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  let over50 = 0;
  let maxCpuInStall = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const tick = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    if (now - last - 10 > 50) {
      over50++;
      maxCpuInStall = Math.max(maxCpuInStall, (cpu.user + cpu.system) / 1000);
    }
    last = now;
    lastCpu = process.cpuUsage();
  }, 10);
  const t0 = performance.now();
  h.enable();
  try {
    await work();
  } finally {
    h.disable();
    clearInterval(tick);
  }
  const ms = (ns: number) => ns / 1e6;
  return {
    seconds: (performance.now() - t0) / 1000,
    max: ms(h.max),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    mean: ms(h.mean),
    over50,
    maxCpuInStall,
    load: os.loadavg()[0],
  };
}

async function finished(svc: StudioService, id: string): Promise<JobInfo> {
  for (;;) {
    const j = await svc['jobs.get'](id);
    if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') return j;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inputPhoto(ctx: BenchContext, side: number): Promise<{ file: string; from: string }> {
  const src = path.join(ctx.dataDir, 'Set5', 'butterfly.png');
  const file = path.join(ctx.tmpDir, `desktop-input-${side}.png`);
  try {
    await sharp(src).resize(side, side, { fit: 'cover' }).png().toFile(file);
    return { file, from: `Set5 butterfly, ${side}×${side}` };
  } catch {
    const raw = Buffer.alloc(side * side * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + ((i / side) | 0) * 7) & 0xff;
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png().toFile(file);
    return { file, from: `synthetic texture, ${side}×${side} (benchmark data not found)` };
  }
}

const f1 = (x: number) => x.toFixed(1);

export async function run(ctx: BenchContext): Promise<string> {
  const dataDir = path.join(ctx.tmpDir, 'desktop-data');
  await fs.mkdir(dataDir, { recursive: true });
  const svc = await createStudioService({ dataDir, jobStore: 'memory', onWarning: (m) => ctx.log(m) });
  const rows: string[] = [];
  try {
    const models = (await svc['models.list']()).map((m) => m.id);
    const { file, from } = await inputPhoto(ctx, ctx.quick ? 64 : 128);
    const zssr = models.includes('zssr');
    const request: EnhanceRequest = zssr
      ? { input: file, method: 'zssr', scale: 2, preset: 'draft', noCache: true, ...(ctx.quick ? { zssr: { num_epochs: 60 } } : {}), output: { dir: path.join(ctx.tmpDir, 'desktop-out'), format: 'png' } }
      : { input: file, method: 'lanczos', scale: 4, output: { dir: path.join(ctx.tmpDir, 'desktop-out'), format: 'png' } };

    // 1. Host responsiveness: idle baseline, then the same process while the worker trains.
    ctx.log(`desktop: event loop while ${request.method} runs on ${from}`);
    let trainEvents = 0;
    let progressEvents = 0;
    const stop = svc.events.subscribe((e) => {
      if (e.topic !== 'job') return;
      if (e.event.type === 'train') trainEvents++;
      if (e.event.type === 'progress') progressEvents++;
    });
    let job: JobInfo | undefined;
    const busy = await loopDelay(async () => {
      job = await finished(svc, (await svc['jobs.enqueue'](request)).id);
    });
    stop();
    if (job?.state !== 'done') throw new Error(`the benchmark job ended ${job?.state}: ${job?.error?.message ?? ''}`);
    const idle = await loopDelay(() => new Promise((r) => setTimeout(r, Math.min(10_000, Math.max(2_000, busy.seconds * 1000)))));
    // The same job with the engine at below-normal CPU priority, as the desktop app runs it.
    const lowDir = path.join(ctx.tmpDir, 'desktop-data-low');
    await fs.mkdir(lowDir, { recursive: true });
    const lowSvc = await createStudioService({
      dataDir: lowDir,
      jobStore: 'memory',
      onWarning: (m) => ctx.log(m),
      spawnWorker: (handlers) => {
        const proc = childProcessSpawner({ entry: defaultWorkerEntry() })(handlers);
        lowerPriority(proc.pid);
        return proc;
      },
    });
    let low: LoopStats;
    try {
      await lowSvc['models.list'](); // engine process up, like the first run
      low = await loopDelay(async () => {
        const j = await finished(lowSvc, (await lowSvc['jobs.enqueue'](request)).id);
        if (j.state !== 'done') throw new Error(`the low-priority benchmark job ended ${j.state}`);
      });
    } finally {
      await lowSvc.dispose();
    }
    const stepsNote = zssr ? `${job.loss?.at(-1)?.step ?? trainEvents} training steps, ` : '';

    // 2. Engine restart after a crash: spawn -> ready of the built worker (the file the desktop
    // app and the command line both run).
    const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-main.mjs')], { encoding: 'utf8' });
    const restarts: { entry: string; ms: number[] }[] = [];
    for (const [entryName, entry] of [['out/main/worker.js (desktop and CLI)', build.status === 0 ? defaultWorkerEntry() : undefined]] as const) {
      if (!entry) continue;
      const host = new ProcessWorkerHost(childProcessSpawner({ entry }));
      const ms: number[] = [];
      for (let i = 0; i < (ctx.quick ? 2 : 4); i++) {
        const t0 = performance.now();
        await host.start();
        ms.push(performance.now() - t0);
        const pid = host.pid;
        const gone = new Promise<void>((r) => {
          const off = host.onLifecycle((e) => {
            if (e.type === 'exit') {
              off();
              r();
            }
          });
        });
        if (pid) process.kill(pid, 'SIGKILL');
        await gone;
      }
      restarts.push({ entry: entryName, ms });
    }

    // 3. One IPC round through the handler: sender check + zod on the arguments (no Electron).
    const handlers = createIpcHandlers(studioApi, svc as StudioApi, { origins: ['studio-app://app'] });
    const sender = { senderFrame: { url: 'studio-app://app/index.html', parent: null } };
    const enqueueArgs = [{ ...request, input: '/photos/x.jpg', method: 'bicubic' }];
    const ipcCost = async (fn: () => Promise<unknown>, n: number) => {
      for (let i = 0; i < 200; i++) await fn();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await fn();
      return ((performance.now() - t0) * 1000) / n;
    };
    const n = ctx.quick ? 2_000 : 20_000;
    const usInfo = await ipcCost(() => handlers['app.info'](sender, []), n);
    const usRefused = await ipcCost(() => handlers['jobs.enqueue']({ senderFrame: { url: 'https://evil.example/', parent: null } }, enqueueArgs), n);
    const usBadArgs = await ipcCost(() => handlers['jobs.enqueue'](sender, [{ ...enqueueArgs[0], scale: 99 }]), n);

    // 4. studio-media:// previews of a 12 MP photo (sharp), first time and from the cache.
    const big = path.join(ctx.tmpDir, 'desktop-12mp.jpg');
    await sharp(file).resize(4240, 2832, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(big);
    const [item] = await svc['library.addPaths']([big]);
    const media = createMediaHandler({ api: svc, roots: () => [svc.paths.outputs] });
    const url = mediaUrlOf('preview', item.id, { w: 2048 });
    let t0 = performance.now();
    const first = await media(new Request(url));
    const coldMs = performance.now() - t0;
    await first.arrayBuffer();
    t0 = performance.now();
    await (await media(new Request(url))).arrayBuffer();
    const warmMs = performance.now() - t0;
    t0 = performance.now();
    await (await media(new Request(mediaUrlOf('thumb', item.id)))).arrayBuffer();
    const thumbMs = performance.now() - t0;

    const preloadBytes = build.status === 0 ? (await fs.stat(path.join(root, 'out', 'preload', 'preload.cjs'))).size : NaN;
    const mainBytes = build.status === 0 ? (await fs.stat(path.join(root, 'out', 'main', 'app.js'))).size : NaN;

    rows.push(
      '## Desktop shell',
      '',
      `${ctx.date}, ${ctx.machine}. \`npm run bench -- desktop${ctx.quick ? ' --quick' : ''}\`.`,
      '',
      '### Event loop of the host process while the engine works',
      '',
      `The process that owns the window (here: the benchmark process, hosting the same StudioService`,
      `and WorkerPool as Electron's main) runs a ${zssr ? 'ZSSR Draft training' : 'Lanczos x4 job'} in the child-process worker`,
      `(${from}, ${stepsNote}${trainEvents} train and ${progressEvents} progress events received).`,
      `Delay = how late a 10 ms timer fires; the idle row is the same process with no job (this machine's noise floor).`,
      `"CPU in a stall" = the most CPU time this process (all its threads) used inside one stall above 50 ms: the most`,
      `our code can have blocked the loop; the rest of a stall is the process waiting for a core (load = 1-min load average on ${os.cpus().length} cores).`,
      '',
      '| period | seconds | max ms | p99.9 ms | p99 ms | mean ms | stalls > 50 ms | max CPU in a stall, ms | load |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| while the job runs (engine at normal priority) | ${f1(busy.seconds)} | ${f1(busy.max)} | ${f1(busy.p999)} | ${f1(busy.p99)} | ${f1(busy.mean)} | ${busy.over50} | ${f1(busy.maxCpuInStall)} | ${f1(busy.load)} |`,
      `| same job, engine at below-normal priority (desktop default) | ${f1(low.seconds)} | ${f1(low.max)} | ${f1(low.p999)} | ${f1(low.p99)} | ${f1(low.mean)} | ${low.over50} | ${f1(low.maxCpuInStall)} | ${f1(low.load)} |`,
      `| idle baseline | ${f1(idle.seconds)} | ${f1(idle.max)} | ${f1(idle.p999)} | ${f1(idle.p99)} | ${f1(idle.mean)} | ${idle.over50} | ${f1(idle.maxCpuInStall)} | ${f1(idle.load)} |`,
      '',
      '### Engine process start (after a crash the next job waits this long)',
      '',
      '| worker entry | spawn → ready, ms (each run) |',
      '|---|---|',
      ...restarts.map((r) => `| ${r.entry} | ${r.ms.map((m) => m.toFixed(0)).join(', ')} |`),
      ...(build.status === 0 ? [] : ['', `(bundled worker not measured: build-main failed: ${build.stderr.trim().split('\n')[0]})`]),
      '',
      '### IPC handler cost (sender check + zod, without the Electron transport)',
      '',
      '| call | µs per call |',
      '|---|---:|',
      `| app.info from the app | ${f1(usInfo)} |`,
      `| jobs.enqueue from a foreign origin (refused) | ${f1(usRefused)} |`,
      `| jobs.enqueue with an invalid scale (refused by zod) | ${f1(usBadArgs)} |`,
      '',
      '### studio-media:// previews of a 12 MP JPEG (sharp)',
      '',
      `Preview 2048 px: ${coldMs.toFixed(0)} ms first, ${warmMs.toFixed(1)} ms cached; thumbnail 320 px: ${thumbMs.toFixed(0)} ms.`,
      '',
      `Bundles: preload ${(preloadBytes / 1024).toFixed(1)} KiB (sandboxed, one CommonJS file, no zod), main ${(mainBytes / 1024).toFixed(0)} KiB. Peak RSS of the benchmark process ${peakRssMiB()} MiB.`,
    );
  } finally {
    await svc.dispose();
  }
  return rows.join('\n');
}
