// Kill -9 of the whole process group of a headless watch (watcher, queue and its engine
// process) while a learned method (esrgan-medium, slow enough that kills land mid-job) runs.
// An interrupted attempt is not an engine crash: no photo is failed, no job's attempts grow
// with the kills, and a clean run then gives exactly one output per photo.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerEntry } from '../../../src-main/watch/ledger';
import { listFiles, tempDir, until } from './harness';

const STUDIO = fileURLToPath(new URL('../../../bin/studio.js', import.meta.url));
const N = 8;
const KILLS = 6;

let root: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  root = await tempDir('watch-kill-learned-');
  await fs.mkdir(path.join(root, 'in'));
  for (let i = 0; i < N; i++) {
    await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 120 + i, sigma: 40 } } })
      .png()
      .toFile(path.join(root, 'in', `p${i}.png`));
  }
});
afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await fs.rm(root, { recursive: true, force: true });
});

function start(): { proc: ChildProcess; out: string[] } {
  const out: string[] = [];
  // Its own process group, so one kill reaches the watch and its engine process at once.
  const proc = spawn(
    process.execPath,
    [STUDIO, 'watch', 'in', '--method', 'esrgan-medium', '--scale', '2', '--out', 'out', '--existing', '--stable-ms', '200', '--data-dir', 'data'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  proc.stdout?.setEncoding('utf8').on('data', (t: string) => out.push(t));
  proc.stderr?.setEncoding('utf8').on('data', (t: string) => out.push(t));
  child = proc;
  return { proc, out };
}

async function watchDir(): Promise<string | undefined> {
  const dirs = await fs.readdir(path.join(root, 'data', 'watch')).catch(() => [] as string[]);
  return dirs.length ? path.join(root, 'data', 'watch', dirs[0]) : undefined;
}

async function lines(name: string): Promise<string[]> {
  const d = await watchDir();
  const text = d ? await fs.readFile(path.join(d, name), 'utf8').catch(() => '') : '';
  return text.split('\n').filter(Boolean);
}

function parse<T>(l: string, f: (x: unknown) => T): T | undefined {
  try {
    return f(JSON.parse(l));
  } catch {
    return undefined; // a torn last line
  }
}

/** The queue's journal replayed: the last record of each job. */
async function jobRecords(): Promise<Map<string, { state: string; attempts?: number; maxAttempts?: number; error?: { code: string } }>> {
  const live = new Map<string, { state: string; attempts?: number; maxAttempts?: number; error?: { code: string } }>();
  for (const l of await lines('jobs.jsonl')) {
    const r = parse(l, (x) => x as { op: string; id?: string; job?: { id: string; state: string; attempts?: number } });
    if (r?.op === 'put' && r.job) live.set(r.job.id, r.job);
    if (r?.op === 'del' && r.id) live.delete(r.id);
  }
  return live;
}

const exited = (proc: ChildProcess) =>
  proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r()));

describe('headless watch with a learned method survives kill -9 of its process group', () => {
  it(`${KILLS} group kills mid-job: no photo failed, attempts not spent, one output each`, async () => {
    let killedRunning = 0;
    for (let k = 0; k < KILLS; k++) {
      // The journal is compacted on open: new lines are told apart by content, not position.
      const before = new Set(await lines('journal.jsonl'));
      const { proc, out } = start();
      const running = await until(
        `a running job (kill ${k + 1}); output: ${out.join('')}`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`studio watch exited early: ${out.join('')}`);
          const now = await lines('journal.jsonl');
          if (now.some((l) => !before.has(l) && parse(l, (x) => LedgerEntry.parse(x))?.state === 'running')) return 'running';
          const done = new Set(now.map((l) => parse(l, (x) => LedgerEntry.parse(x))).filter((e) => e?.state === 'done').map((e) => e?.rel));
          return done.size === N ? 'all done' : undefined;
        },
        90_000,
        5,
      );
      if (running === 'all done') {
        if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
        await exited(proc);
        break;
      }
      // At once: the job resumed first is the one in flight (model load + inference take longer).
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
      await exited(proc);
      const jobs = await jobRecords();
      if ([...jobs.values()].some((j) => j.state === 'running')) killedRunning++;
      for (const j of jobs.values()) {
        expect(j.state).not.toBe('failed');
        // Only the attempt in flight when the group died: interrupted attempts are not counted.
        expect(j.attempts ?? 0, JSON.stringify(j)).toBeLessThanOrEqual(1);
      }
    }
    expect(killedRunning).toBeGreaterThanOrEqual(3);

    const { proc, out } = start();
    const states = async () => {
      const latest = new Map<string, string>();
      for (const l of await lines('journal.jsonl')) {
        const e = parse(l, (x) => LedgerEntry.parse(x));
        if (e) latest.set(e.rel, e.state);
      }
      return latest;
    };
    await until(`all ${N} done; output: ${out.join('')}`, async () => [...(await states()).values()].filter((s) => s === 'done').length === N, 120_000, 100);
    expect([...(await states()).values()]).not.toContain('failed');
    proc.kill('SIGTERM');
    await exited(proc);

    const files = await listFiles(path.join(root, 'out'));
    expect(files).toEqual(Array.from({ length: N }, (_, i) => `p${i}_esrgan-medium_x2.png`));
    for (const f of files) expect((await sharp(path.join(root, 'out', f)).metadata()).width).toBe(256);
  }, 300_000);
});
