import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths, resolveDataDir } from '../../../src-main/service/data-dir';
import { defaultSettings, SettingsStore } from '../../../src-main/service/settings';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-settings-'));
  file = path.join(dir, 'settings.json');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const defaults = () => defaultSettings('/data/outputs');

describe('settings', () => {
  it('starts from defaults and persists validated updates atomically with a .bak', async () => {
    const s = await SettingsStore.open(file, defaults());
    expect(s.get()).toEqual(defaults());
    await s.update({ concurrency: 2 });
    await s.update({ defaultFormat: 'png', defaultQuality: 80 });
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(onDisk).toMatchObject({ concurrency: 2, defaultFormat: 'png', defaultQuality: 80 });
    expect(JSON.parse(await fs.readFile(`${file}.bak`, 'utf8'))).toMatchObject({ concurrency: 2, defaultFormat: 'same' });
    const again = await SettingsStore.open(file, defaults());
    expect(again.get()).toMatchObject({ concurrency: 2, defaultFormat: 'png' });
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects invalid updates with E_INVALID_ARGUMENT and keeps the old values', async () => {
    const s = await SettingsStore.open(file, defaults());
    await expect(s.update({ concurrency: 99 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(s.update({ nonsense: true } as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(s.get().concurrency).toBe(1);
  });

  it('never fails on a corrupt file: last good copy, else defaults; the damaged file is kept', async () => {
    const s = await SettingsStore.open(file, defaults());
    await s.update({ concurrency: 3 });
    await s.update({ concurrency: 4 });
    await fs.writeFile(file, '{"concurrency": 4, "backend": "cpu"'); // torn write
    const r = await SettingsStore.open(file, defaults());
    expect(r.problem).toMatch(/not valid JSON/);
    expect(r.get().concurrency).toBe(3); // from settings.json.bak
    expect(await fs.readFile(`${file}.corrupt`, 'utf8')).toContain('"backend": "cpu"');

    await fs.rm(`${file}.bak`);
    await fs.writeFile(file, 'garbage');
    expect((await SettingsStore.open(file, defaults())).get()).toEqual(defaults());
  });

  it('keeps the valid fields of a partly wrong file', async () => {
    await fs.writeFile(file, JSON.stringify({ concurrency: 2, backend: 'quantum', defaultQuality: 500, extra: 1, outputsDir: '' }));
    const s = await SettingsStore.open(file, defaults());
    expect(s.get()).toEqual({ ...defaults(), concurrency: 2 });
  });

  it('notifies listeners of changes', async () => {
    const s = await SettingsStore.open(file, defaults());
    const seen: [number, number][] = [];
    s.onChange((next, prev) => seen.push([prev.concurrency, next.concurrency]));
    await s.update({ concurrency: 2 });
    expect(seen).toEqual([[1, 2]]);
  });
});

describe('data dir', () => {
  it('uses STUDIO_DATA_DIR, else the platform user-data folder', () => {
    expect(resolveDataDir({ STUDIO_DATA_DIR: '/x/y' }, 'linux', '/home/u')).toBe(path.resolve('/x/y'));
    expect(resolveDataDir({}, 'linux', '/home/u')).toBe(path.join('/home/u', '.local', 'share', 'loupe-studio'));
    expect(resolveDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe(path.join('/xdg', 'loupe-studio'));
    expect(resolveDataDir({}, 'darwin', '/Users/u')).toBe(path.join('/Users/u', 'Library', 'Application Support', 'Loupe Studio'));
    expect(resolveDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(
      path.join('C:\\Users\\u\\AppData\\Roaming', 'Loupe Studio'),
    );
  });

  it('lays every domain out under the data dir', () => {
    const p = dataPaths('/d');
    for (const v of Object.values(p)) expect(v.startsWith(path.resolve('/d'))).toBe(true);
    expect(p.journal).toBe(path.join(path.resolve('/d'), 'jobs', 'journal.jsonl'));
  });
});
