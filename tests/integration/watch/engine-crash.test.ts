// The engine (worker) process dies under a photo: the queue retries it in a fresh process; a
// photo that kills the engine every time fails alone with E_WORKER_CRASHED, the batch goes on.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../../src-main/watch/runner';
import { listFiles, openStack, type Stack, tempDir, tinyPng, until, watchInfo } from './harness';

let root: string;
let stack: Stack;

beforeAll(async () => {
  root = await tempDir('watch-engine-crash-');
  stack = await openStack(path.join(root, 'data'), 1);
});
afterAll(async () => {
  await stack?.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('engine process crashes under a watch', () => {
  it('retries a photo once its engine was killed; gives up on a photo that kills it every time', async () => {
    const src = path.join(root, 'in');
    const out = path.join(root, 'out');
    await fs.mkdir(src);
    const kills: string[] = [];
    const off = stack.queue.subscribe((e) => {
      if (e.type !== 'state' || e.state !== 'running') return;
      const name = path.basename(stack.queue.get(e.jobId).request.input);
      const killOnce = name === 'a.png' && !kills.includes(name);
      if (!killOnce && name !== 'poison.png') return;
      // The host may still be spawning the engine for this job: kill it once it has a pid.
      void until('engine pid', () => stack.pool.workers().find((h) => h.busy)?.pid, 30_000, 5).then((pid) => {
        kills.push(name);
        process.kill(pid, 'SIGKILL');
      });
    });
    const w = await stack.watches.add({
      source: src,
      recipe: { method: 'lanczos', scale: 2, outDir: out },
      options: { stableMs: 200 },
    });
    for (const [name, seed] of [['a.png', 1], ['poison.png', 2], ['b.png', 3], ['c.png', 4]] as const) {
      // 384 px: a job long enough (a few hundred ms) that the kill always lands inside it.
      await fs.writeFile(path.join(src, name), await tinyPng(seed, name === 'b.png' || name === 'c.png' ? 64 : 384));
    }
    await until('all settled', () => {
      const c = watchInfo(stack, w.id).counts;
      return c.total === 4 && c.done + c.failed === 4;
    }, 90_000, 100);
    off();
    const byRel = Object.fromEntries(stack.watches.files(w.id).files.map((f) => [f.rel, f]));
    expect(byRel['a.png'].state).toBe('done');
    expect(byRel['b.png'].state).toBe('done');
    expect(byRel['c.png'].state).toBe('done');
    expect(byRel['poison.png']).toMatchObject({ state: 'failed', error: { code: 'E_WORKER_CRASHED' } });
    expect(kills.filter((k) => k === 'a.png')).toHaveLength(1);
    expect(kills.filter((k) => k === 'poison.png')).toHaveLength(MAX_ATTEMPTS);
    const jobA = stack.queue.get(byRel['a.png'].jobId as string);
    expect(jobA.attempts).toBe(2);
    expect(await listFiles(out)).toEqual(['a_lanczos_x2.png', 'b_lanczos_x2.png', 'c_lanczos_x2.png']);
  });
});
