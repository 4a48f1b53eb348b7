import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobQueue } from '../../../src-main/jobs/queue';
import { MemoryJobStore } from '../../../src-main/jobs/store';
import { WorkerPool } from '../../../src-main/jobs/worker-pool';
import { ProcessWorkerHost } from '../../../src-main/jobs/worker-host';
import { childProcessSpawner } from '../../../src-main/jobs/child-process';
import { defaultWorkerEntry } from '../../../src-main/worker/entry';
import { WatchManager } from '../../../src-main/watch/manager';
import { queuePort } from '../../../src-main/watch/queue-port';

// No photo is dropped here, so no engine process is ever started.
let root: string;
let queue: JobQueue;
let pool: WorkerPool;
let manager: WatchManager;

async function open(): Promise<WatchManager> {
  const m = new WatchManager({ dataDir: path.join(root, 'data'), jobs: queuePort(queue) });
  await m.start();
  return m;
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'watch-manager-'));
  for (const d of ['s1', 's2/inner', 's3']) await fs.mkdir(path.join(root, d), { recursive: true });
  pool = new WorkerPool({ size: 1, createHost: () => new ProcessWorkerHost(childProcessSpawner({ entry: defaultWorkerEntry() })), runOptions: () => ({ outputsDir: root, attempt: 1 }) });
  queue = await JobQueue.open({ store: new MemoryJobStore(), runner: pool });
  manager = await open();
});
afterEach(async () => {
  await manager.close();
  await queue.close();
  await pool.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

const recipe = (outDir: string) => ({ method: 'bicubic', scale: 2, outDir });

describe('watch manager', () => {
  it('refuses configs whose outputs would be processed again', async () => {
    const s1 = path.join(root, 's1');
    const a = await manager.add({ source: s1, recipe: recipe(path.join(root, 'o1')) });
    expect(a).toMatchObject({ name: 's1', state: 'active', options: { existing: false, concurrency: 1 } });
    // Into another watch's folder.
    await expect(manager.add({ source: path.join(root, 's3'), recipe: recipe(s1) })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    // A recursive watch whose mirrored output tree contains its own folder.
    await expect(
      manager.add({ source: path.join(root, 's2', 'inner'), recipe: recipe(path.join(root, 's2')), options: { recursive: true } }),
    ).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    // Relative paths are ambiguous for a long-running service.
    await expect(manager.add({ source: 'in', recipe: recipe(path.join(root, 'o')) })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    // Outputs inside the tree are fine: they are excluded from it.
    const d = await manager.add({ source: path.join(root, 's3'), recipe: recipe(path.join(root, 's3', 'out')), options: { recursive: true } });
    expect(manager.list().map((w) => w.id).sort()).toEqual([a.id, d.id].sort());
  });

  it('keeps watches across restarts; a damaged watches.json is kept aside, not lost', async () => {
    const s1 = path.join(root, 's1');
    const a = await manager.add({ source: s1, name: 'Client A', recipe: recipe(path.join(root, 'o1')), options: { concurrency: 2 } });
    await manager.pause(a.id);
    await manager.close();
    manager = await open();
    expect(manager.list()).toEqual([expect.objectContaining({ id: a.id, name: 'Client A', state: 'paused', options: expect.objectContaining({ concurrency: 2 }) })]);
    await manager.close();

    const file = path.join(root, 'data', 'watches.json');
    await fs.writeFile(file, '{"version":1,"watches":[{"id":');
    manager = await open();
    expect(manager.list()).toEqual([]);
    expect(manager.loadError).toContain('watches.json');
    const aside = (await fs.readdir(path.join(root, 'data'))).filter((n) => n.startsWith('watches.json.damaged-'));
    expect(aside).toHaveLength(1);
  });

  it('a second process cannot run the same watch (lock beside its journal)', async () => {
    const a = await manager.add({ source: path.join(root, 's1'), recipe: recipe(path.join(root, 'o1')) });
    // Pretend a live foreign process holds it (pid 1 always exists).
    await manager.close();
    await fs.writeFile(path.join(root, 'data', 'watch', a.id, 'lock'), JSON.stringify({ pid: 1, host: os.hostname() }));
    manager = await open();
    expect(manager.list()[0]).toMatchObject({ id: a.id, state: 'stopped', reason: { code: 'E_LOCKED' } });
    expect(manager.list()[0].reason?.message).toContain('process 1');
    await expect(manager.get(a.id).start()).rejects.toMatchObject({ code: 'E_LOCKED' });
  });
});
