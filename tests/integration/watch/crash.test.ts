// Kill -9 of the whole headless watch (watcher, queue and, through them, its engine process)
// in the middle of a job, ten times in a row; then let it finish. Every photo must end with
// exactly one output and the journals must be consistent.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerEntry } from '../../../src-main/watch/ledger';
import { listFiles, tempDir, tinyPng, until } from './harness';

const STUDIO = fileURLToPath(new URL('../../../bin/studio.js', import.meta.url));
const N = 12;
const KILLS = 10;

let root: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  root = await tempDir('watch-crash-');
  await fs.mkdir(path.join(root, 'in'));
  // Big enough that a job lasts long enough to be killed in the middle (about 0.1 s).
  for (let i = 0; i < N; i++) await fs.writeFile(path.join(root, 'in', `p${String(i).padStart(2, '0')}.png`), await tinyPng(i, 192));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fs.rm(root, { recursive: true, force: true });
});

function start(): { proc: ChildProcess; out: string[] } {
  const out: string[] = [];
  const proc = spawn(
    process.execPath,
    [STUDIO, 'watch', 'in', '--method', 'lanczos', '--scale', '2', '--out', 'out', '--existing', '--stable-ms', '200', '--data-dir', 'data'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.setEncoding('utf8').on('data', (t: string) => out.push(t));
  proc.stderr?.setEncoding('utf8').on('data', (t: string) => out.push(t));
  child = proc;
  return { proc, out };
}

async function journalFile(): Promise<string | undefined> {
  const dirs = await fs.readdir(path.join(root, 'data', 'watch')).catch(() => [] as string[]);
  return dirs.length ? path.join(root, 'data', 'watch', dirs[0], 'journal.jsonl') : undefined;
}

async function journalLines(): Promise<string[]> {
  const f = await journalFile();
  const text = f ? await fs.readFile(f, 'utf8').catch(() => '') : '';
  return text.split('\n').filter(Boolean);
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

describe('headless watch survives kill -9', () => {
  it(`${KILLS} SIGKILLs mid-job, then a clean run: one output per photo, consistent journal`, async () => {
    const killedJobs = new Set<string>();
    for (let k = 0; k < KILLS; k++) {
      const before = (await journalLines()).length;
      const { proc, out } = start();
      // Deterministic: kill as soon as the journal says a job is running.
      const running = await until(
        `a running job (kill ${k + 1}); output: ${out.join('')}`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`studio watch exited early: ${out.join('')}`);
          const lines = (await journalLines()).slice(before);
          for (const l of lines) {
            const e = (() => {
              try {
                return LedgerEntry.parse(JSON.parse(l));
              } catch {
                return undefined;
              }
            })();
            if (e?.state === 'running' && e.jobId) return e;
          }
          return undefined;
        },
        60_000,
        5,
      );
      proc.kill('SIGKILL');
      await exited(proc);
      killedJobs.add(`${running.rel}:${running.jobId}`);
    }
    expect(killedJobs.size).toBe(KILLS);

    // A clean run finishes the rest.
    const { proc, out } = start();
    const doneCount = async () => {
      const latest = new Map<string, string>();
      for (const l of await journalLines()) {
        try {
          const e = LedgerEntry.parse(JSON.parse(l));
          latest.set(e.rel, e.state);
        } catch {
          // a torn line is tolerated (and compacted away) by the next open
        }
      }
      return [...latest.values()].filter((s) => s === 'done').length;
    };
    await until(`all ${N} done; output: ${out.join('')}`, async () => (await doneCount()) === N, 90_000, 100);
    proc.kill('SIGTERM');
    await exited(proc);
    expect(proc.exitCode).toBe(0);
    expect(out.join('')).toContain('SIGTERM: stopping');

    // Exactly one output per photo, each a whole image; no temp files left behind.
    const files = await listFiles(path.join(root, 'out'));
    const expected = Array.from({ length: N }, (_, i) => `p${String(i).padStart(2, '0')}_lanczos_x2.png`);
    expect(files).toEqual(expected.sort());
    for (const f of files) {
      const m = await sharp(path.join(root, 'out', f)).metadata();
      expect([m.width, m.height]).toEqual([384, 384]);
    }

    // The journal replays to N done entries, each pointing at its one output, every line valid.
    const lines = await journalLines();
    const entries = new Map<string, LedgerEntry>();
    for (const l of lines) {
      const parsed = JSON.parse(l) as unknown;
      if (parsed && typeof parsed === 'object' && 'meta' in parsed) continue;
      const e = LedgerEntry.parse(parsed);
      entries.set(e.rel, e);
    }
    expect(entries.size).toBe(N);
    for (const e of entries.values()) {
      expect(e.state).toBe('done');
      expect(e.outputs).toEqual([path.join(root, 'out', e.rel.replace(/\.png$/, '_lanczos_x2.png'))]);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    // The queue's journal holds nothing unfinished (done jobs are dropped once recorded).
    const jobLines = (await fs.readFile(path.join(path.dirname((await journalFile()) as string), 'jobs.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const live = new Map<string, string>();
    for (const l of jobLines) {
      const r = JSON.parse(l) as { op: string; id?: string; job?: { id: string; state: string } };
      if (r.op === 'put' && r.job) live.set(r.job.id, r.job.state);
      if (r.op === 'del' && r.id) live.delete(r.id);
    }
    expect([...live.values()].filter((s) => s === 'queued' || s === 'running')).toEqual([]);
  }, 110_000);
});
