// State files never reset silently (issue: hardening, item 3). A real studio service opens a
// data folder whose files were damaged the ways a crash, a full disk or a careless edit leave
// them: what can be recovered is, every damaged copy is kept (timestamped, bounded), and the
// user is told once, in the log and in app.info.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAMAGED_COPIES_KEPT } from '../../../src-main/base/damaged-copies';
import type { JobRecord } from '../../../src-main/jobs/record';
import { createStudioService, dataPaths, type StudioService } from '../../../src-main/service';

let dir: string;
let logged: string[];
let svc: StudioService | undefined;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-recovery-'));
  logged = [];
});
afterEach(async () => {
  await svc?.dispose();
  svc = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

async function open(): Promise<StudioService> {
  await svc?.dispose();
  svc = await createStudioService({ dataDir: dir, onWarning: (m) => logged.push(m), workerIdleMs: 1 });
  return svc;
}

const copiesOf = async (name: string, tag: string) => (await fs.readdir(dir)).filter((n) => n.startsWith(`${name}.${tag}-`)).sort();

describe('damaged state files', () => {
  it('library.json cut off with no .bak: the complete entries come back, and the user is told', async () => {
    const photos = path.join(dir, 'photos');
    await fs.mkdir(photos);
    const files = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => {
        const f = path.join(photos, `${n}.png`);
        await sharp({ create: { width: 8, height: 6, channels: 3, background: '#808080' } }).png().toFile(f);
        return f;
      }),
    );
    const s = await open();
    await s['library.addPaths'](files);
    await s.dispose();
    svc = undefined;
    const index = dataPaths(dir).libraryIndex;
    const text = await fs.readFile(index, 'utf8');
    await fs.rm(`${index}.bak`, { force: true });
    // Cut in the middle of the third entry, as a crash during a non-atomic copy would.
    await fs.writeFile(index, text.slice(0, text.lastIndexOf('"name"')));

    const again = await open();
    expect((await again['library.list']()).map((i) => i.name)).toEqual(['a.png', 'b.png']);
    const info = await again['app.info']();
    expect(info.notices?.map((n) => n.message).join('\n')).toMatch(/library\.json.*damaged/);
    expect(logged.join('\n')).toMatch(/library\.json.*recovered/);
    expect(await copiesOf('library.json', 'corrupt')).toHaveLength(1);
  });

  it('settings.json: a cut-off file keeps its fields; wrong types are named in the log', async () => {
    const file = dataPaths(dir).settings;
    await fs.writeFile(file, '{"concurrency": 3, "defaultQuality": 77, "backend": "cp');
    let s = await open();
    expect((await s['settings.get']()).concurrency).toBe(3);
    expect((await s['settings.get']()).defaultQuality).toBe(77);
    expect(logged.join('\n')).toMatch(/settings\.json/);

    logged = [];
    await fs.writeFile(file, JSON.stringify({ concurrency: 'two', defaultQuality: 60 }));
    s = await open();
    expect((await s['settings.get']()).defaultQuality).toBe(60);
    expect(logged.join('\n')).toMatch(/concurrency/);
    expect((await s['app.info']()).notices?.length).toBe(1);
  });

  it('every damaged copy is kept under its own time stamp, at most a few, and a restart adds none', async () => {
    const file = dataPaths(dir).settings;
    for (let i = 0; i < DAMAGED_COPIES_KEPT + 2; i++) {
      await fs.writeFile(file, `{"concurrency": ${i}, "backend": `);
      await open();
      await open(); // the same damage seen again is not copied again
    }
    const copies = await copiesOf('settings.json', 'corrupt');
    expect(copies).toHaveLength(DAMAGED_COPIES_KEPT);
    // The newest survive; `settings.json.corrupt` is the newest of all.
    expect(await fs.readFile(path.join(dir, copies.at(-1) as string), 'utf8')).toContain(`"concurrency": ${DAMAGED_COPIES_KEPT + 1}`);
    expect(await fs.readFile(`${file}.corrupt`, 'utf8')).toContain(`"concurrency": ${DAMAGED_COPIES_KEPT + 1}`);
  });

  it('a garbage presets.json is reported at start and kept once, however often the studio restarts', async () => {
    const file = path.join(dir, 'presets.json');
    await fs.writeFile(file, '\u0000\u0001 garbage {{{');
    for (let i = 0; i < 3; i++) await open();
    expect(logged.filter((m) => /presets\.json/.test(m)).length).toBeGreaterThanOrEqual(1);
    expect((await svc!['app.info']()).notices?.map((n) => n.message).join('\n')).toMatch(/presets\.json/);
    expect(await copiesOf('presets.json', 'invalid')).toHaveLength(1);
  });

  it('a damaged middle line of jobs/journal.jsonl does not make its job disappear', async () => {
    const journal = dataPaths(dir).journal;
    await fs.mkdir(path.dirname(journal), { recursive: true });
    const job = (id: string, n: number): JobRecord => ({
      id,
      request: { input: `/photos/${id}.jpg`, method: 'bicubic', scale: 2, output: { dir: '/out' } },
      state: 'done',
      createdAt: 1_700_000_000_000 + n,
      outputs: [`/out/${id}_bicubic_x2.jpg`],
      seq: n,
    });
    const line = (r: JobRecord) => JSON.stringify({ v: 1, op: 'put', job: r });
    // The middle line lost its tail (a sector that never made it to disk) but not its request.
    const damaged = line(job('j2', 2));
    const cut = damaged.slice(0, damaged.indexOf('"state"') + 9);
    await fs.writeFile(journal, `${line(job('j1', 1))}\n${cut}\n${line(job('j3', 3))}\n`);

    const s = await open();
    const jobs = await s['jobs.list']();
    expect(jobs.map((j) => j.id).sort()).toEqual(['j1', 'j2', 'j3']);
    const j2 = jobs.find((j) => j.id === 'j2');
    expect(j2).toMatchObject({ state: 'failed', request: { input: '/photos/j2.jpg' }, error: { code: 'E_INTERNAL' } });
    expect(logged.join('\n')).toMatch(/damaged line 2/);
    expect((await s['app.info']()).notices?.map((n) => n.message).join('\n')).toMatch(/journal/);
    const kept = (await fs.readdir(path.dirname(journal))).filter((n) => n.startsWith('journal.jsonl.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(await fs.readFile(path.join(path.dirname(journal), kept[0]), 'utf8')).toContain(cut);
    // The user can run it again (paused: no engine is needed to see it queued).
    s.queue.pause();
    expect((await s['jobs.retry']('j2')).state).toBe('queued');
  });
});
