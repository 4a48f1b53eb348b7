import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LedgerEntry, WatchLedger } from '../../../src-main/watch/ledger';
import { acquireLock } from '../../../src-main/watch/lock';
import { WatchStore } from '../../../src-main/watch/store';
import type { WatchConfig } from '../../../src-main/contract/watch';
import { DEFAULT_WATCH_OPTIONS } from '../../../src-main/contract/watch';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'watch-ledger-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function entry(rel: string, state: LedgerEntry['state'], extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return { rel, path: `/src/${rel}`, size: 10, mtimeMs: 1, state, outputs: [], attempts: 0, detectedAt: 1, updatedAt: 2, ...extra };
}

describe('watch journal', () => {
  it('replays the last state of every entry and counts them', async () => {
    const l = new WatchLedger(dir);
    await l.open();
    await Promise.all([l.put(entry('a.jpg', 'queued')), l.put(entry('b.jpg', 'queued'))]);
    await l.put(entry('a.jpg', 'running', { jobId: 'j1' }));
    await l.put(entry('a.jpg', 'done', { jobId: 'j1', outputs: ['/out/a.png'] }));
    await l.put(entry('c.jpg', 'failed', { error: { code: 'E_CORRUPT_IMAGE', message: 'bad' } }));
    await l.setBaselineDone();
    expect(l.perf.records).toBe(6);
    await l.close();

    const again = new WatchLedger(dir);
    await again.open();
    expect(again.get('a.jpg')?.state).toBe('done');
    expect(again.get('a.jpg')?.outputs).toEqual(['/out/a.png']);
    expect(again.get('c.jpg')?.error?.code).toBe('E_CORRUPT_IMAGE');
    expect(again.baselineDone).toBe(true);
    expect(again.counts()).toEqual({ total: 3, queued: 1, running: 0, done: 1, failed: 1, skipped: 0 });
    await again.close();
  });

  it('survives a torn last line and damaged lines, and compacts them away', async () => {
    const l = new WatchLedger(dir);
    await l.open();
    await l.put(entry('a.jpg', 'done'));
    await l.put(entry('b.jpg', 'queued'));
    await l.close();
    await fs.appendFile(l.file, 'not json\n{"rel":"b.jpg","path":"/src/b.jpg","size":10,"mtimeMs":1,"state":"do');
    const again = new WatchLedger(dir);
    const stats = await again.open();
    expect(stats.badLines).toBe(2);
    expect(again.get('b.jpg')?.state).toBe('queued');
    await again.put(entry('b.jpg', 'done'));
    await again.close();
    const lines = (await fs.readFile(l.file, 'utf8')).trim().split('\n');
    expect(lines.every((x) => JSON.parse(x))).toBe(true);
    const third = new WatchLedger(dir);
    expect((await third.open()).badLines).toBe(0);
    expect(third.get('b.jpg')?.state).toBe('done');
    await third.close();
  });

  it('lock: a second holder is refused while the first lives; a dead holder is taken over', async () => {
    const lock = await acquireLock(dir);
    // Our own pid counts as stale (container restarts), so fake a live foreign holder: pid 1.
    await lock.release();
    await fs.writeFile(path.join(dir, 'lock'), JSON.stringify({ pid: 1, host: os.hostname() }));
    await expect(acquireLock(dir)).rejects.toMatchObject({ code: 'E_LOCKED' });
    await fs.writeFile(path.join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
    const taken = await acquireLock(dir);
    await taken.release();
    await expect(fs.stat(path.join(dir, 'lock'))).rejects.toThrow();
  });

  it('watches.json: saved atomically, validated on load', async () => {
    const store = new WatchStore(dir);
    expect(await store.load()).toEqual([]);
    const w: WatchConfig = {
      id: 'w-1',
      name: 'in',
      source: '/in',
      recipe: { method: 'lanczos', scale: 2, outDir: '/out' },
      options: DEFAULT_WATCH_OPTIONS,
      createdAt: 5,
      paused: true,
    };
    await store.save([w]);
    expect(await store.load()).toEqual([w]);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await fs.writeFile(store.file, JSON.stringify({ version: 1, watches: [{ ...w, recipe: { scale: 'x' } }] }));
    await expect(store.load()).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });
});
