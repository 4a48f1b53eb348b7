import fs from 'node:fs/promises';
import os from 'node:os';
import { Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { EnhanceRequest } from '../../contract/enhance';
import { toErrorPayload, type ErrorPayload } from '../../contract/errors';
import type { RedisQueueSetting } from '../../contract/farm';
import type { JobInfo } from '../../contract/jobs';
import type { JobRunner } from '../worker-pool';
import type { WorkerJobEvent } from '../worker-protocol';
import { checkRedis, DEFAULT_PREFIX, describeQueue, mapPath, QUEUE_NAME, redactUrl, redisConnection, type PathMap } from './connection';
import { encodeError, farmKeys, FarmJobData, type FarmJobResult } from './protocol';

export interface FarmWorkerOptions {
  setting: RedisQueueSetting;
  /** Runs a job in the supervised engine process (the WorkerPool). */
  runner: JobRunner;
  /** Jobs at once (the pool's size). */
  concurrency: number;
  /** The coordinator's paths as this machine mounts them. */
  pathMaps?: readonly PathMap[];
  /** Shown in the studio's job cards and Workers list (default: host name and pid). */
  name?: string;
  /** How long a job's lock lives without renewal: a killed worker's job runs elsewhere after this (default 30 s). */
  lockMs?: number;
  /** The job's done state is in Redis (its output ledger can go). */
  onCompleted?: (jobId: string) => void | Promise<void>;
  log?: (message: string) => void;
}

/** The request as this machine sees it (input, output folder and kernel file through the path maps). */
export function mapRequest(req: EnhanceRequest, maps: readonly PathMap[], reverse = false): EnhanceRequest {
  const m = (p: string) => mapPath(p, maps, reverse);
  return {
    ...req,
    input: m(req.input),
    ...(req.output ? { output: { ...req.output, ...(req.output.dir ? { dir: m(req.output.dir) } : {}) } } : {}),
    ...(req.zssr ? { zssr: { ...req.zssr, ...(req.zssr.kernel_path ? { kernel_path: m(req.zssr.kernel_path) } : {}) } } : {}),
  };
}

/**
 * A farm worker: takes jobs from the farm's BullMQ queue and runs each in the same supervised
 * engine process as the desktop app. Events go back through BullMQ's progress; a cancel published
 * by a coordinator aborts the job; a job whose file this machine cannot see fails with
 * E_FARM_FILE_MISSING. A worker killed mid-job loses its lock and BullMQ's stalled-job check gives
 * the job to another worker, whose run first removes what the interrupted one wrote (the output
 * ledger on the shared folder).
 */
export interface FarmWorkerHandle {
  worker: Worker;
  name: string;
  isFinished(jobId: string): Promise<boolean>;
  /**
   * Takes no new job; running ones may finish within `graceMs`, then are stopped and put back in
   * the queue at once (another worker takes them without waiting for their lock to expire).
   */
  drain(graceMs: number): Promise<{ finished: number; returned: number }>;
  close(): Promise<void>;
}

export async function startFarmWorker(opts: FarmWorkerOptions): Promise<FarmWorkerHandle> {
  await checkRedis(opts.setting); // a wrong password or a narrow ACL: one clear error, not endless retries
  const connection = redisConnection(opts.setting);
  const prefix = opts.setting.prefix ?? DEFAULT_PREFIX;
  const keys = farmKeys(prefix, QUEUE_NAME);
  const name = opts.name ?? `${os.hostname()}#${process.pid}`;
  const maps = opts.pathMaps ?? [];
  const log = opts.log ?? ((m: string) => console.error(`studio worker: ${m}`));
  const redis = new Redis(connection);
  const sub = new Redis(connection);
  redis.on('error', () => undefined);
  sub.on('error', () => undefined);

  // Running jobs, so a drain can stop them and put them back; `returning` marks those it stopped.
  const running = new Map<string, AbortController>();
  const returning = new Set<string>();
  let finishedWhileDraining = 0;
  let draining = false;
  let graceOver = false;

  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<FarmJobResult> => {
    const id = String(job.id);
    const fail = (p: ErrorPayload): never => {
      // A crash of the engine process is worth another attempt; a coded error is the job's answer.
      throw p.code === 'E_WORKER_CRASHED' ? new Error(encodeError(p)) : new UnrecoverableError(encodeError(p));
    };
    if (await redis.sismember(keys.cancelled, id)) fail({ code: 'E_CANCELLED', message: 'cancelled before it started' });
    const data = FarmJobData.parse(job.data);
    const request = mapRequest(data.request, maps);
    try {
      await fs.access(request.input, fs.constants.R_OK);
    } catch {
      fail({
        code: 'E_FARM_FILE_MISSING',
        message: `${name} cannot see ${request.input}${request.input !== data.request.input ? ` (${data.request.input} on the coordinator)` : ''}: is the shared folder mounted, and --path-map right?`,
      });
    }
    const info: JobInfo = {
      id,
      request,
      state: 'running',
      createdAt: data.createdAt,
      ...(data.seq ? { seq: data.seq } : {}),
      outputs: [],
      attempts: job.attemptsStarted,
    };
    const ac = new AbortController();
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    running.set(id, ac);
    // Fetched just as a drain's grace ran out: straight back to the queue.
    if (graceOver) {
      returning.add(id);
      ac.abort();
    }
    let lastTrain = 0;
    const onEvent = (e: WorkerJobEvent) => {
      // Training sends an event per step: a few a second reach Redis, the rest only the curve's thinning.
      if (e.type === 'train') {
        const now = Date.now();
        if (now - lastTrain < 250) return;
        lastTrain = now;
      }
      void job.updateProgress(e).catch(() => undefined);
    };
    const t0 = Date.now();
    log(`job ${id}: ${request.input} (attempt ${job.attemptsStarted})`);
    try {
      const r = await opts.runner.run(info, { signal: ac.signal, onEvent });
      if (draining) finishedWhileDraining++;
      log(`job ${id}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return {
        outputs: r.outputs.map((o) => mapPath(o, maps, true)),
        ...(r.backend ? { backend: r.backend } : {}),
        ...(r.cacheHit !== undefined ? { cacheHit: r.cacheHit } : {}),
        worker: name,
      };
    } catch (err) {
      if (returning.has(id)) {
        // Stopped by a drain: back to the queue, not a failure (its next run starts from the ledger).
        await job.moveToWait(token);
        log(`job ${id}: put back in the queue`);
        throw new WaitingError();
      }
      const p: ErrorPayload = signal?.aborted ? { code: 'E_CANCELLED', message: 'cancelled' } : toErrorPayload(err);
      log(`job ${id}: ${p.code}: ${p.message}`);
      return fail(p);
    } finally {
      running.delete(id);
    }
  };

  const lockMs = opts.lockMs ?? 30_000;
  const worker = new Worker(QUEUE_NAME, processor, {
    connection,
    prefix,
    concurrency: Math.max(1, opts.concurrency),
    name,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job whose worker was killed goes back to the queue this many times before it fails.
    maxStalledCount: 5,
  });
  // A Redis that stays away or refuses the login repeats its error on every reconnect: said once.
  let lastError = '';
  worker.on('error', (err) => {
    const m = err.message.replaceAll(opts.setting.url, redactUrl(opts.setting.url));
    if (m !== lastError) log(`queue error: ${m}`);
    lastError = m;
  });
  worker.on('ready', () => void (lastError = ''));
  worker.on('completed', (job) => void Promise.resolve(opts.onCompleted?.(String(job.id))).catch(() => undefined));
  await sub.subscribe(keys.channel);
  sub.on('message', (_channel, jobId: string) => worker.cancelJob(jobId, 'cancelled'));
  await worker.waitUntilReady();
  log(`${name} takes jobs from ${describeQueue(opts.setting)}, prefix ${prefix}, ${opts.concurrency} at a time`);
  for (const m of maps) log(`path map: ${m.from} (coordinator) = ${m.to} (here)`);
  return {
    worker,
    name,
    drain: async (graceMs: number) => {
      draining = true;
      const closed = worker.close(); // takes no new job, waits for the running ones
      const timer = setTimeout(() => {
        graceOver = true;
        for (const [id, ac] of running) {
          returning.add(id);
          ac.abort();
        }
      }, graceMs);
      await closed;
      clearTimeout(timer);
      sub.disconnect();
      redis.disconnect();
      return { finished: finishedWhileDraining, returned: returning.size };
    },
    isFinished: async (jobId: string) => {
      const job = await Job.fromId(worker, jobId);
      return !job || (await job.getState()) === 'completed';
    },
    close: async () => {
      // Not a cancel: a running job keeps its Redis state and runs again when its lock expires.
      await worker.close(true);
      sub.disconnect();
      redis.disconnect();
    },
  };
}

