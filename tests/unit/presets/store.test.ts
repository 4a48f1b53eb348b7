import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Preset, PresetSummary, presetsApi } from '../../../src-main/contract/presets';
import { createPresetsApi, createPresetStore, PRESETS_FILE } from '../../../src-main/presets';
import { tmpDir } from './helpers';

const web = {
  version: 2,
  id: 'acme-web',
  name: 'Acme web',
  client: 'Acme',
  outputs: [{ kind: 'image', format: { format: 'webp', quality: 80 }, size: { mode: 'longEdge', px: 1600 } }],
};

async function userFile(dataDir: string): Promise<{ version: number; presets: { id: string }[] }> {
  return JSON.parse(await fs.readFile(path.join(dataDir, PRESETS_FILE), 'utf8'));
}

describe('preset store', () => {
  it('lists the built-ins read-only, all valid', async () => {
    const store = createPresetStore(await tmpDir());
    const list = await store.list();
    const ids = list.filter((e) => e.builtin).map((e) => e.preset.id);
    expect(ids).toEqual(expect.arrayContaining(['client-web-jpeg-2048', 'print-tiff-16-adobe-rgb-300', 'archive-png-16', 'client-delivery-web-print']));
    expect(store.warnings()).toEqual([]);
    await expect(store.save({ ...web, id: 'archive-png-16' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(store.delete('client-web-jpeg-2048')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    // By name, case-insensitively, as `--preset NAME` uses it.
    expect((await store.find('print tiff 16-bit adobe rgb 300 ppi')).preset.id).toBe('print-tiff-16-adobe-rgb-300');
    await expect(store.find('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('saves, replaces and deletes user presets in presets.json', async () => {
    const dataDir = await tmpDir();
    const store = createPresetStore(dataDir);
    const saved = await store.save(web);
    expect(saved.outputs[0]).toMatchObject({ colour: 'srgb', naming: { collision: 'suffix' } });
    expect((await userFile(dataDir)).presets.map((p) => p.id)).toEqual(['acme-web']);
    await store.save({ ...web, name: 'Acme web v2' });
    expect((await store.get('acme-web')).preset.name).toBe('Acme web v2');
    // A second store on the same folder (another window, the CLI) sees it.
    expect((await createPresetStore(dataDir).get('acme-web')).builtin).toBe(false);
    expect(await store.delete('acme-web')).toBe(true);
    expect(await store.delete('acme-web')).toBe(false);
    expect((await userFile(dataDir)).presets).toEqual([]);
    // No temporary files left beside it.
    expect((await fs.readdir(dataDir)).sort()).toEqual([PRESETS_FILE]);
  });

  it('keeps concurrent saves', async () => {
    const dataDir = await tmpDir();
    const store = createPresetStore(dataDir);
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.save({ ...web, id: `p${i}`, name: `P${i}` })));
    expect((await userFile(dataDir)).presets.map((p) => p.id).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('round-trips presets through export and import', async () => {
    const a = createPresetStore(await tmpDir());
    await a.save(web);
    await a.save({ version: 1, name: 'Legacy TIFF', format: 'tiff', bitDepth: 16, colour: 'adobe-rgb' });
    const text = await a.export();
    const doc = JSON.parse(text);
    expect(doc.version).toBe(2);
    expect(doc.presets.map((p: { id: string }) => p.id)).toEqual(['acme-web', 'legacy-tiff']);

    const b = createPresetStore(await tmpDir());
    const imported = await b.import(text);
    expect(imported).toEqual(doc.presets.map((p: unknown) => Preset.parse(p)));
    for (const p of imported) expect((await b.get(p.id)).preset).toEqual((await a.get(p.id)).preset);
    expect(await b.export()).toBe(text);
    // Importing the same text again changes nothing.
    await b.import(text);
    expect((await b.list()).filter((e) => !e.builtin)).toHaveLength(2);
  });

  it('renames clashing ids on import instead of replacing', async () => {
    const store = createPresetStore(await tmpDir());
    await store.save(web);
    const [copy] = await store.import(JSON.stringify({ ...web, name: 'Acme web (from Bob)' }));
    expect(copy.id).toBe('acme-web-2');
    const [builtinClash] = await store.import(JSON.stringify({ ...web, id: 'archive-png-16' }));
    expect(builtinClash.id).toBe('archive-png-16-2');
    expect((await store.get('acme-web')).preset.name).toBe('Acme web');
  });

  it('rejects an invalid import naming the field and keeps existing presets intact', async () => {
    const dataDir = await tmpDir();
    const store = createPresetStore(dataDir);
    await store.save(web);
    const before = await fs.readFile(path.join(dataDir, PRESETS_FILE), 'utf8');
    const good = { ...web, id: 'fine', name: 'Fine' };
    const bad = { ...web, id: 'broken', name: 'Broken', outputs: [{ kind: 'image', format: { format: 'jpeg', quality: 0 } }] };
    const err = await store.import(JSON.stringify({ presets: [good, bad] })).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_PRESET_INVALID', details: { field: 'outputs[0].format.quality' } });
    expect(err.message).toContain("preset #2 'Broken'");
    expect(err.message).toContain('outputs[0].format.quality');
    expect(await fs.readFile(path.join(dataDir, PRESETS_FILE), 'utf8')).toBe(before);
    await expect(store.import('{ not json')).rejects.toMatchObject({ code: 'E_PRESET_INVALID' });
    await expect(store.import('[]')).rejects.toMatchObject({ code: 'E_PRESET_INVALID' });
    await expect(store.save({ ...web, outputs: [] })).rejects.toMatchObject({ code: 'E_PRESET_INVALID', details: { field: 'outputs' } });
    expect((await store.list()).filter((e) => !e.builtin).map((e) => e.preset.id)).toEqual(['acme-web']);
  });

  it('sets a damaged presets.json aside instead of losing it', async () => {
    const dataDir = await tmpDir();
    await fs.writeFile(path.join(dataDir, PRESETS_FILE), '{"version":2,"presets":[{"id":"x"');
    const store = createPresetStore(dataDir);
    expect((await store.list()).every((e) => e.builtin)).toBe(true);
    expect(store.warnings().join('\n')).toMatch(/damaged/);
    const copies = (await fs.readdir(dataDir)).filter((f) => f.startsWith(`${PRESETS_FILE}.invalid-`));
    expect(copies).toHaveLength(1);
    expect(await fs.readFile(path.join(dataDir, copies[0]), 'utf8')).toBe('{"version":2,"presets":[{"id":"x"');
    await store.save(web);
    expect((await userFile(dataDir)).presets.map((p) => p.id)).toEqual(['acme-web']);
  });

  it('drops only the invalid entries of presets.json, with a warning', async () => {
    const dataDir = await tmpDir();
    await fs.writeFile(path.join(dataDir, PRESETS_FILE), JSON.stringify({ version: 2, presets: [web, { ...web, id: 'bad', outputs: 'nope' }] }));
    const store = createPresetStore(dataDir);
    expect((await store.list()).filter((e) => !e.builtin).map((e) => e.preset.id)).toEqual(['acme-web']);
    expect(store.warnings().join('\n')).toContain('outputs');
  });
});

describe('presets API block', () => {
  it('answers in the contract shapes', async () => {
    const api = createPresetsApi({ dataDir: await tmpDir() });
    const list = await api['presets.list']();
    expect(() => presetsApi['presets.list'].result.parse(list)).not.toThrow();
    const delivery = list.find((s) => s.id === 'client-delivery-web-print');
    expect(PresetSummary.parse(delivery).outputs).toEqual([
      'web: JPEG q85, long edge at most 2048 px, sRGB',
      'print: TIFF 16-bit LZW, full size, Adobe RGB (1998)',
      'provenance sidecar (JSON)',
    ]);
    const saved = await api['presets.save'](web);
    expect(Preset.parse(saved)).toEqual(saved);
    expect(await api['presets.get']('acme-web')).toEqual(saved);
    const text = await api['presets.export'](['acme-web', 'archive-png-16']);
    expect(JSON.parse(text).presets).toHaveLength(2);
    expect(await api['presets.delete']('acme-web')).toBe(true);
    const back = await api['presets.import'](text);
    expect(back.map((p) => p.id)).toEqual(['acme-web', 'archive-png-16-2']);
    // Arguments are validated at the door like every contract method.
    expect(presetsApi['presets.get'].args.safeParse(['Not An Id']).success).toBe(false);
  });
});
