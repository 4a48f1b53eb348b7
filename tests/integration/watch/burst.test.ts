import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, openStack, type Stack, tempDir, tinyPng, until, watchInfo } from './harness';

let root: string;
let stack: Stack;

beforeAll(async () => {
  root = await tempDir('watch-burst-');
  stack = await openStack(path.join(root, 'data'), 2);
});
afterAll(async () => {
  await stack?.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('watched folder: bursts and slow copies', () => {
  it('200 files dropped at once give 200 outputs, each exactly once', async () => {
    const src = path.join(root, 'in');
    const out = path.join(root, 'out');
    await fs.mkdir(src);
    const w = await stack.watches.add({
      source: src,
      recipe: { method: 'bicubic', scale: 2, outDir: out },
      options: { concurrency: 2, stableMs: 300 },
    });
    expect(w.state).toBe('active');
    const N = 200;
    // Written at once (in parallel), as a copy from a card reader does.
    const bufs = await Promise.all(Array.from({ length: N }, (_, i) => tinyPng(i)));
    await Promise.all(bufs.map((b, i) => fs.writeFile(path.join(src, `p${String(i).padStart(3, '0')}.png`), b)));

    await until('200 done', () => watchInfo(stack, w.id).counts.done === N, 100_000, 200);
    const info = watchInfo(stack, w.id);
    expect(info.counts).toEqual({ total: N, queued: 0, running: 0, done: N, failed: 0, skipped: 0 });
    const files = await listFiles(out);
    expect(files).toHaveLength(N);
    for (let i = 0; i < N; i++) expect(files).toContain(`p${String(i).padStart(3, '0')}_bicubic_x2.png`);
    const meta = await sharp(path.join(out, files[0])).metadata();
    expect([meta.width, meta.height]).toEqual([64, 64]);
    // Exactly one job per file in the queue too.
    const jobs = stack.queue.list({ watchId: w.id });
    expect(jobs).toHaveLength(N);
    expect(new Set(jobs.map((j) => j.request.input)).size).toBe(N);
    expect(stack.reports.filter((r) => r.watchId === w.id && r.state === 'done')).toHaveLength(N);
  });

  it('a file written in chunks over 2 s is processed once, after the last chunk', async () => {
    const src = path.join(root, 'slow');
    const out = path.join(root, 'slow-out');
    await fs.mkdir(src);
    const w = await stack.watches.add({
      source: src,
      recipe: { method: 'lanczos', scale: 2, outDir: out },
      options: { stableMs: 800 },
    });
    const png = await tinyPng(7, 48);
    const file = path.join(src, 'slow.png');
    const fh = await fs.open(file, 'w');
    const chunks = 10;
    const step = Math.ceil(png.length / chunks);
    for (let i = 0; i < chunks; i++) {
      await fh.write(png.subarray(i * step, (i + 1) * step));
      await fh.sync();
      await new Promise((r) => setTimeout(r, 220));
    }
    await fh.close();
    const lastWrite = Date.now();
    await until('slow file done', () => watchInfo(stack, w.id).counts.done === 1, 30_000);
    // Give a late duplicate detection every chance to show up.
    await new Promise((r) => setTimeout(r, 1200));
    const jobs = stack.queue.list({ watchId: w.id });
    expect(jobs).toHaveLength(1);
    expect(jobs[0].createdAt).toBeGreaterThanOrEqual(lastWrite);
    expect(watchInfo(stack, w.id).counts).toMatchObject({ total: 1, done: 1, failed: 0 });
    const files = await listFiles(out);
    expect(files).toEqual(['slow_lanczos_x2.png']);
    const meta = await sharp(path.join(out, files[0])).metadata();
    expect([meta.width, meta.height]).toEqual([96, 96]);
  });
});
