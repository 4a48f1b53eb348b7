// Real pieces for the watch tests: the durable job journal, the queue, worker child processes
// running the engine, and a WatchManager on top: the same stack `studio watch` runs.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openJournal } from '../../../src-main/jobs/journal';
import { JobQueue } from '../../../src-main/jobs/queue';
import { childProcessSpawner } from '../../../src-main/jobs/child-process';
import { ProcessWorkerHost } from '../../../src-main/jobs/worker-host';
import { WorkerPool } from '../../../src-main/jobs/worker-pool';
import { defaultWorkerEntry } from '../../../src-main/worker/entry';
import { queuePort } from '../../../src-main/watch/queue-port';
import { WatchManager } from '../../../src-main/watch/manager';
import type { WatchFileReport } from '../../../src-main/watch/runner';
import type { WatchInfo } from '../../../src-main/contract/watch';

export interface Stack {
  dataDir: string;
  queue: JobQueue;
  pool: WorkerPool;
  watches: WatchManager;
  reports: WatchFileReport[];
  events: string[];
  close(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function openStack(dataDir: string, concurrency = 2): Promise<Stack> {
  const store = await openJournal(path.join(dataDir, 'jobs.jsonl'));
  const pool = new WorkerPool({
    size: concurrency,
    createHost: () => new ProcessWorkerHost(childProcessSpawner({ entry: defaultWorkerEntry() })),
    runOptions: (job) => ({ outputsDir: path.join(dataDir, 'outputs'), attempt: job.attempts ?? 1 }),
  });
  const queue = await JobQueue.open({ store, runner: pool, concurrency });
  const reports: WatchFileReport[] = [];
  const events: string[] = [];
  const watches = new WatchManager({
    dataDir,
    jobs: queuePort(queue),
    onFile: (r) => reports.push(r),
    onEvent: (_id, m) => events.push(m),
    presenceMs: 200,
  });
  await watches.start();
  return {
    dataDir,
    queue,
    pool,
    watches,
    reports,
    events,
    async close() {
      await watches.close();
      await queue.close();
      await pool.dispose();
    },
  };
}

/** A small PNG whose pixels depend on `seed`, so every file has its own content hash. */
export function tinyPng(seed: number, size = 32): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + seed * 131 + (seed >> 8) * 17) & 0xff;
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000, stepMs = 50): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function watchInfo(s: Stack, id: string): WatchInfo {
  const w = s.watches.list().find((x) => x.id === id);
  if (!w) throw new Error(`no watch ${id}`);
  return w;
}

/** Output files (not hidden temp files) under a folder, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}
