import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../src-main/jobs/journal';
import type { JobRecord } from '../../../src-main/jobs/record';
import { tsxExecArgv } from '../../tsx';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-journal-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const job = (id: string, state: JobRecord['state'], extra: Partial<JobRecord> = {}): JobRecord => ({
  id,
  request: { input: `/p/${id}.jpg`, method: 'bicubic', scale: 2 },
  state,
  createdAt: Number(id.replace(/\D/g, '')) || 1,
  outputs: [],
  ...extra,
});

describe('job journal', () => {
  it('replays puts and deletes; the last record of a job wins', async () => {
    const file = path.join(dir, 'j.jsonl');
    const j = await openJournal(file);
    await j.put(job('j1', 'queued', { key: 'k1', watchId: 'w' }));
    await j.put(job('j2', 'queued'));
    await j.put(job('j1', 'done', { outputs: ['/o/1.jpg'], key: 'k1', watchId: 'w' }));
    await j.put(job('j3', 'queued'));
    await j.delete('j3');
    await j.close();
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(5); // append-only until compaction
    const k = await openJournal(file);
    const jobs = await k.load();
    expect(jobs.map((x) => [x.id, x.state])).toEqual([
      ['j1', 'done'],
      ['j2', 'queued'],
    ]);
    expect(jobs[0]).toMatchObject({ outputs: ['/o/1.jpg'], key: 'k1', watchId: 'w' });
    // Opening compacted the file: one line per live job.
    expect((await fs.readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
    await k.close();
  });

  it('turns running jobs back into queued and never touches done ones', async () => {
    const file = path.join(dir, 'j.jsonl');
    const j = await openJournal(file);
    await j.put(job('j1', 'done', { outputs: ['/o.jpg'], startedAt: 5, finishedAt: 6 }));
    await j.put(job('j2', 'running', { startedAt: 7, attempts: 1 }));
    await j.close();
    const warnings: string[] = [];
    const k = await openJournal(file, { onWarning: (m) => warnings.push(m) });
    const [a, b] = await k.load();
    expect(a).toMatchObject({ id: 'j1', state: 'done', outputs: ['/o.jpg'] });
    // The attempt the host's death cut short is not counted (it was not the engine's doing).
    expect(b).toMatchObject({ id: 'j2', state: 'queued', attempts: 0 });
    expect(b.startedAt).toBeUndefined();
    expect(k.stats.recovered).toBe(1);
    expect(warnings.join('\n')).toMatch(/1 interrupted job/);
    await k.close();
  });

  it('a job interrupted by kills of the whole studio never spends its attempts', async () => {
    const file = path.join(dir, 'j.jsonl');
    // One real engine crash (attempts 1, back in line), then three studio deaths mid-attempt.
    let attempts = 1;
    for (let kill = 0; kill < 3; kill++) {
      const j = await openJournal(file);
      const [rec] = await j.load();
      attempts = (rec?.attempts ?? attempts) + 1; // the queue starts the job: one more attempt
      await j.put(job('j1', 'running', { attempts, maxAttempts: 3, startedAt: 1 }));
      await j.close(); // and the studio dies with it running
    }
    const k = await openJournal(file);
    const [back] = await k.load();
    expect(back).toMatchObject({ state: 'queued', attempts: 1, maxAttempts: 3 });
    await k.close();
  });

  it('tolerates a torn last line and a damaged line, and appends cleanly afterwards', async () => {
    const file = path.join(dir, 'j.jsonl');
    const good = (r: JobRecord) => `${JSON.stringify({ v: 1, op: 'put', job: r })}\n`;
    const torn = good(job('j4', 'queued')).slice(0, 40);
    await fs.writeFile(file, good(job('j1', 'queued')) + '{"v":1,"op":"put","job":{"id":12}}\n' + good(job('j3', 'done')) + torn);
    const warnings: string[] = [];
    const j = await openJournal(file, { onWarning: (m) => warnings.push(m) });
    expect((await j.load()).map((x) => x.id)).toEqual(['j1', 'j3']);
    expect(j.stats.skipped).toBe(2);
    expect(warnings.some((w) => /torn last line/.test(w))).toBe(true);
    await j.put(job('j5', 'queued'));
    await j.close();
    const k = await openJournal(file);
    expect((await k.load()).map((x) => x.id)).toEqual(['j1', 'j3', 'j5']);
    expect(k.stats.skipped).toBe(0);
    await k.close();
  });

  it('compacts by atomic rewrite once superseded lines pile up', async () => {
    const file = path.join(dir, 'j.jsonl');
    const j = await openJournal(file, { compactSlack: 20 });
    for (let round = 0; round < 10; round++) {
      for (const id of ['j1', 'j2', 'j3']) await j.put(job(id, round === 9 ? 'done' : 'queued', { attempts: round }));
    }
    expect(j.stats.compactions).toBeGreaterThan(0);
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n').length;
    expect(lines).toBeLessThan(24);
    await j.close();
    const k = await openJournal(file);
    expect((await k.load()).map((x) => [x.id, x.state, x.attempts])).toEqual([
      ['j1', 'done', 9],
      ['j2', 'done', 9],
      ['j3', 'done', 9],
    ]);
    await k.close();
    const leftovers = (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('lets one process at a time append; a dead owner\'s lock is taken over', async () => {
    const file = path.join(dir, 'j.jsonl');
    const j = await openJournal(file);
    await expect(openJournal(file)).rejects.toMatchObject({ code: 'E_LOCKED' });
    await j.close();
    // A lock left by a process that no longer exists.
    await fs.writeFile(`${file}.lock`, '999999');
    const k = await openJournal(file);
    await k.close();
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
  });

  it('loses no acknowledged job when the writing process is killed with SIGKILL', async () => {
    const file = path.join(dir, 'crash.jsonl');
    const fixture = path.resolve(__dirname, '../../integration/jobs/fixtures/journal-writer.ts');
    const child = spawn(process.execPath, [...tsxExecArgv(), fixture, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('acked ')) acked.push(l.slice(6));
        if (acked.length >= 60) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    expect(stderr).toBe('');
    expect(acked.length).toBeGreaterThanOrEqual(60);
    const j = await openJournal(file);
    const jobs = await j.load();
    const ids = new Set(jobs.map((x) => x.id));
    for (const id of acked) expect(ids.has(id)).toBe(true);
    // The first job was running when the process died: it is queued again, nothing is done.
    expect(jobs[0]).toMatchObject({ state: 'queued', key: 'k0' });
    expect(jobs.every((x) => x.state === 'queued')).toBe(true);
    expect(new Set(jobs.map((x) => x.key)).size).toBe(jobs.length); // no duplicates
    await j.close();
  });
});
