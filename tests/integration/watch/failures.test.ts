import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, openStack, type Stack, tempDir, tinyPng, until, watchInfo } from './harness';

let root: string;
let stack: Stack;

beforeAll(async () => {
  root = await tempDir('watch-fail-');
  stack = await openStack(path.join(root, 'data'), 1);
});
afterAll(async () => {
  await stack?.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('watched folder: bad files, duplicates, ignored names, missing folder', () => {
  it('corrupt, zero-byte and non-image files fail alone with coded errors; the others are done', async () => {
    const src = path.join(root, 'in');
    const out = path.join(root, 'in', 'enhanced'); // inside the tree: excluded automatically
    await fs.mkdir(src);
    const w = await stack.watches.add({
      source: src,
      recipe: { method: 'bicubic', scale: 2, outDir: out },
      options: { recursive: true, stableMs: 300 },
    });
    const good = await tinyPng(1);
    await fs.writeFile(path.join(src, 'good1.png'), good);
    await fs.writeFile(path.join(src, 'truncated.png'), good.subarray(0, Math.floor(good.length / 2)));
    await fs.writeFile(path.join(src, 'empty.jpg'), '');
    await fs.writeFile(path.join(src, 'notes.jpg'), 'this is a text file with a photo name\n'.repeat(20));
    await fs.mkdir(path.join(src, 'day2'));
    await fs.writeFile(path.join(src, 'day2', 'good2.png'), await tinyPng(2));
    // Never taken: hidden, temporary, partial and non-image names.
    await fs.writeFile(path.join(src, '.DS_Store'), 'x');
    await fs.writeFile(path.join(src, '~$lock.png'), good);
    await fs.writeFile(path.join(src, 'copying.png.part'), good);
    await fs.writeFile(path.join(src, 'readme.txt'), 'hello');

    await until('all settled', () => {
      const c = watchInfo(stack, w.id).counts;
      return c.done + c.failed === 5 && c.queued + c.running === 0;
    });
    const page = stack.watches.files(w.id);
    const byRel = Object.fromEntries(page.files.map((f) => [f.rel, f]));
    expect(Object.keys(byRel).sort()).toEqual(['day2/good2.png', 'empty.jpg', 'good1.png', 'notes.jpg', 'truncated.png']);
    expect(byRel['good1.png'].state).toBe('done');
    expect(byRel['day2/good2.png'].state).toBe('done');
    expect(byRel['empty.jpg']).toMatchObject({ state: 'failed', error: { code: 'E_EMPTY_FILE' } });
    expect(byRel['truncated.png'].state).toBe('failed');
    expect(['E_CORRUPT_IMAGE', 'E_UNSUPPORTED_FORMAT']).toContain(byRel['truncated.png'].error?.code);
    expect(byRel['notes.jpg']).toMatchObject({ state: 'failed', error: { code: 'E_UNSUPPORTED_FORMAT' } });
    expect(byRel['good1.png'].hash).toMatch(/^[0-9a-f]{64}$/);
    // Outputs mirror sub-folders and were never taken as inputs.
    expect(await listFiles(out)).toEqual([path.join('day2', 'good2_bicubic_x2.png'), 'good1_bicubic_x2.png']);
    expect(page.counts).toEqual({ total: 5, queued: 0, running: 0, done: 2, failed: 3, skipped: 0 });

    // The same photo under another name is skipped; a failed file dropped again (fixed) is retried.
    await fs.copyFile(path.join(src, 'good1.png'), path.join(src, 'good1 copy.png'));
    await fs.writeFile(path.join(src, 'truncated.png'), await tinyPng(3));
    await until('copy skipped and retry done', () => {
      const c = watchInfo(stack, w.id).counts;
      return c.skipped === 1 && c.done === 3;
    });
    const after = Object.fromEntries(stack.watches.files(w.id).files.map((f) => [f.rel, f]));
    expect(after['good1 copy.png']).toMatchObject({ state: 'skipped', note: 'duplicate of good1.png' });
    expect(after['truncated.png'].state).toBe('done');
    expect(await listFiles(out)).toHaveLength(3);
  });

  it('only new files by default, existing ones on request; moved-in and renamed files', async () => {
    const src = path.join(root, 'pre');
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, 'before.png'), await tinyPng(30));
    const onlyNew = await stack.watches.add({ source: src, recipe: { method: 'bicubic', scale: 2, outDir: path.join(root, 'pre-new') }, options: { stableMs: 300 } });
    const all = await stack.watches.add({ source: src, recipe: { method: 'bilinear', scale: 2, outDir: path.join(root, 'pre-all') }, options: { stableMs: 300, existing: true } });
    await until('existing done', () => watchInfo(stack, all.id).counts.done === 1);
    expect(watchInfo(stack, onlyNew.id).counts).toMatchObject({ total: 1, skipped: 1, done: 0 });
    expect(stack.watches.files(onlyNew.id).files[0]).toMatchObject({ rel: 'before.png', state: 'skipped' });

    // Moved in from elsewhere on the same disk (a rename, no write events): processed by both.
    const outside = path.join(root, 'moved.png');
    await fs.writeFile(outside, await tinyPng(31));
    await fs.rename(outside, path.join(src, 'moved.png'));
    await until('moved-in done', () => watchInfo(stack, onlyNew.id).counts.done === 1 && watchInfo(stack, all.id).counts.done === 2);
    // Renamed inside the folder: same content, so a duplicate, not a second output.
    await fs.rename(path.join(src, 'moved.png'), path.join(src, 'renamed.png'));
    await until('rename seen', () => watchInfo(stack, onlyNew.id).counts.skipped === 2);
    const renamed = stack.watches.files(onlyNew.id).files.find((f) => f.rel === 'renamed.png');
    expect(renamed).toMatchObject({ state: 'skipped', note: 'duplicate of moved.png' });
    expect(await listFiles(path.join(root, 'pre-new'))).toEqual(['moved_bicubic_x2.png']);
    expect(await listFiles(path.join(root, 'pre-all'))).toEqual(['before_bilinear_x2.png', 'moved_bilinear_x2.png']);
    await stack.watches.remove(onlyNew.id);
    await stack.watches.remove(all.id);
  });

  it('refuses an output folder that is the watched folder itself', async () => {
    const src = path.join(root, 'loop');
    await fs.mkdir(src);
    await expect(
      stack.watches.add({ source: src, recipe: { method: 'bicubic', scale: 2, outDir: src } }),
    ).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });

  it('a deleted watched folder pauses the watch with a reason; recreated, it resumes', async () => {
    const src = path.join(root, 'share');
    const out = path.join(root, 'share-out');
    await fs.mkdir(src);
    const w = await stack.watches.add({ source: src, recipe: { method: 'bicubic', scale: 2, outDir: out }, options: { stableMs: 300 } });
    await fs.writeFile(path.join(src, 'a.png'), await tinyPng(10));
    await until('a done', () => watchInfo(stack, w.id).counts.done === 1);

    await fs.rm(src, { recursive: true });
    const waiting = await until('waiting', () => {
      const i = watchInfo(stack, w.id);
      return i.state === 'waiting' ? i : undefined;
    }, 10_000);
    expect(waiting.reason?.code).toBe('E_WATCH_SOURCE_MISSING');
    expect(waiting.reason?.message).toContain(src);

    await fs.mkdir(src);
    await until('active again', () => watchInfo(stack, w.id).state === 'active', 10_000);
    expect(watchInfo(stack, w.id).reason).toBeUndefined();
    await fs.writeFile(path.join(src, 'b.png'), await tinyPng(11));
    await until('b done', () => watchInfo(stack, w.id).counts.done === 2);
    expect(await listFiles(out)).toEqual(['a_bicubic_x2.png', 'b_bicubic_x2.png']);
    expect(stack.events.some((m) => m.includes('missing'))).toBe(true);
  });

  it('pause stops taking files, resume catches up; watches persist across a restart', async () => {
    const src = path.join(root, 'pz');
    const out = path.join(root, 'pz-out');
    await fs.mkdir(src);
    const w = await stack.watches.add({ source: src, recipe: { method: 'bicubic', scale: 2, outDir: out }, options: { stableMs: 300 } });
    expect((await stack.watches.pause(w.id)).state).toBe('paused');
    await fs.writeFile(path.join(src, 'c.png'), await tinyPng(20));
    await new Promise((r) => setTimeout(r, 1000));
    expect(watchInfo(stack, w.id).counts.total).toBe(0);

    // Restart the whole stack: the watch comes back from watches.json, still paused.
    await stack.close();
    stack = await openStack(path.join(root, 'data'), 1);
    const back = watchInfo(stack, w.id);
    expect(back).toMatchObject({ state: 'paused', paused: true, source: src });
    expect((await stack.watches.resume(w.id)).paused).toBe(false);
    await until('c done after resume', () => watchInfo(stack, w.id).counts.done === 1);
    expect(await listFiles(out)).toEqual(['c_bicubic_x2.png']);
    expect(await stack.watches.remove(w.id)).toBe(true);
    expect(stack.watches.list().some((x) => x.id === w.id)).toBe(false);
  });
});
