// The desktop methods over the real service. Native dialogs and the OS file manager are the
// only stand-ins (plain functions answering like a user would): they need a display.
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDesktopApi, type DesktopDialogs } from '../../../src-main/app/desktop-api';
import { pushRecent } from '../../../src-main/app/desktop-state';
import type { ApiOf } from '../../../src-main/contract/define';
import type { DesktopApiMap } from '../../../src-main/contract/desktop';
import type { JobInfo } from '../../../src-main/contract/jobs';
import type { StudioService } from '../../../src-main/service';
import { openService, tempDir, waitForJob, writePhoto } from './helpers';

let dir: string;
let svc: StudioService;
let job: JobInfo;
let api: ApiOf<DesktopApiMap>;
let recent: string[] = [];
const shown: string[] = [];
const answers: { open: string[]; folder: string | null; save: string | null } = { open: [], folder: null, save: null };

beforeAll(async () => {
  dir = await tempDir('studio-desktop-');
  svc = await openService(dir);
  const dialogs: DesktopDialogs = {
    openImages: async () => answers.open,
    chooseFolder: async () => answers.folder,
    saveAs: async () => answers.save,
  };
  api = createDesktopApi({
    api: svc,
    dialogs,
    showItemInFolder: (f) => shown.push(f),
    recent: { list: () => recent, add: (p) => (recent = pushRecent(recent, p)), clear: () => (recent = []) },
    roots: () => [svc.paths.outputs, svc.paths.library],
    addBuffer: (n, b) => svc.library.addBuffer(n, b),
  });
  const input = await writePhoto(path.join(dir, 'portrait.png'), 40, 30);
  const [item] = await svc['library.addPaths']([input]);
  job = await waitForJob(svc, (await svc['jobs.enqueue']({ input: item.path, method: 'nearest', scale: 2, output: { format: 'png' } })).id);
}, 120_000);

afterAll(async () => {
  await svc?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('desktop.openImages', () => {
  it('adds the chosen photos to the library and to the recent files; cancel adds nothing', async () => {
    const a = await writePhoto(path.join(dir, 'a.png'), 16, 16);
    const b = await writePhoto(path.join(dir, 'b.jpg'), 20, 10, 'jpeg');
    answers.open = [a, b];
    const items = await api['desktop.openImages']();
    expect(items.map((i) => [path.basename(i.path), i.width, i.height])).toEqual([
      ['a.png', 16, 16],
      ['b.jpg', 20, 10],
    ]);
    expect(await api['desktop.recentFiles']()).toEqual([a, b]);
    answers.open = [];
    expect(await api['desktop.openImages']()).toEqual([]);
    expect(await api['desktop.clearRecentFiles']()).toBe(true);
    expect(await api['desktop.recentFiles']()).toEqual([]);
  });
});

describe('desktop.saveOutputAs', () => {
  it('copies the output where the user chose; cancel returns null', async () => {
    expect(job.state).toBe('done');
    const target = path.join(dir, 'delivery', 'final.png');
    await fs.mkdir(path.dirname(target));
    answers.save = target;
    expect(await api['desktop.saveOutputAs'](job.id, 0)).toBe(target);
    const meta = await sharp(target).metadata();
    expect([meta.width, meta.height]).toEqual([80, 60]);
    expect((await fs.readdir(path.dirname(target))).sort()).toEqual(['final.png']);
    answers.save = null;
    expect(await api['desktop.saveOutputAs'](job.id, 0)).toBeNull();
  });

  it('refuses to replace the original and reports unknown outputs', async () => {
    answers.save = job.request.input;
    const before = await fs.readFile(job.request.input);
    await expect(api['desktop.saveOutputAs'](job.id, 0)).rejects.toMatchObject({ code: 'E_WOULD_OVERWRITE' });
    expect((await fs.readFile(job.request.input)).equals(before)).toBe(true);
    await expect(api['desktop.saveOutputAs'](job.id, 7)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(api['desktop.saveOutputAs']('nope', 0)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

describe('desktop.showInFolder', () => {
  it('reveals library originals and job outputs', async () => {
    shown.length = 0;
    expect(await api['desktop.showInFolder'](job.outputs[0])).toBe(true);
    expect(await api['desktop.showInFolder'](job.request.input)).toBe(true);
    expect(shown).toEqual([job.outputs[0], job.request.input]);
  });

  it('refuses any other file, relative paths and missing files', async () => {
    shown.length = 0;
    const stranger = path.join(dir, 'stranger.txt');
    await fs.writeFile(stranger, 'x');
    await expect(api['desktop.showInFolder'](stranger)).rejects.toMatchObject({ code: 'E_PATH_NOT_ALLOWED' });
    await expect(api['desktop.showInFolder']('portrait.png')).rejects.toMatchObject({ code: 'E_PATH_NOT_ALLOWED' });
    await expect(api['desktop.showInFolder'](path.join(dir, 'gone.png'))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(shown).toEqual([]);
  });
});

describe('desktop.chooseFolder', () => {
  it("returns the user's answer", async () => {
    answers.folder = dir;
    expect(await api['desktop.chooseFolder']({ title: 'Output folder' })).toBe(dir);
    answers.folder = null;
    expect(await api['desktop.chooseFolder']({})).toBeNull();
  });
});
