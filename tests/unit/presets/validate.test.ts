import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/contract/errors';
import { Preset, unknownTokens } from '../../../src-main/contract/presets';
import { migratePreset, parsePreset, slugify } from '../../../src-main/presets';

function rejection(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StudioError);
    return err as StudioError;
  }
  throw new Error('expected a rejection');
}

const minimal = { version: 2, id: 'web', name: 'Web', outputs: [{ kind: 'image', format: { format: 'jpeg' } }] };

describe('preset schema', () => {
  it('fills defaults for a minimal preset', () => {
    const p = parsePreset(minimal);
    const o = p.outputs[0];
    expect(o.kind).toBe('image');
    if (o.kind !== 'image' || o.format.format !== 'jpeg') throw new Error('unexpected output');
    expect(o.format).toEqual({ format: 'jpeg', quality: 85, chromaSubsampling: '4:2:0', progressive: true });
    expect(o.size).toEqual({ mode: 'keep' });
    expect(o.colour).toBe('srgb');
    expect(o.metadata.mode).toBe('camera-copyright');
    expect(o.watermark.enabled).toBe(false);
    expect(o.naming).toEqual({ template: '{name}_{preset}', subfolder: '', collision: 'suffix' });
    // Parsing the result again changes nothing (stored presets are stable).
    expect(Preset.parse(p)).toEqual(p);
  });

  it('rejects an invalid preset naming the field', () => {
    const bad = { ...minimal, outputs: [{ kind: 'image', format: { format: 'jpeg', quality: 150 } }] };
    const err = rejection(() => parsePreset(bad));
    expect(err.code).toBe('E_PRESET_INVALID');
    expect(err.details?.field).toBe('outputs[0].format.quality');
    expect(err.message).toContain('outputs[0].format.quality');
    expect(err.message).toContain("preset 'Web'");
  });

  it('names nested and cross-field problems', () => {
    const tiff = { ...minimal, outputs: [{ kind: 'image', format: { format: 'tiff', compression: 'jpeg' } }] };
    expect(rejection(() => parsePreset(tiff)).details?.field).toBe('outputs[0].format.compression');
    const print = { ...minimal, outputs: [{ kind: 'image', format: { format: 'jpeg' }, size: { mode: 'print', unit: 'cm', ppi: 300 } }] };
    expect(rejection(() => parsePreset(print)).details?.field).toBe('outputs[0].size.width');
    const wm = { ...minimal, outputs: [{ kind: 'image', format: { format: 'jpeg' }, watermark: { enabled: true, kind: 'text' } }] };
    expect(rejection(() => parsePreset(wm)).details?.field).toBe('outputs[0].watermark.text');
    const token = { ...minimal, outputs: [{ kind: 'image', format: { format: 'jpeg' }, naming: { template: '{name}_{size}' } }] };
    const e = rejection(() => parsePreset(token));
    expect(e.details?.field).toBe('outputs[0].naming.template');
    expect(e.message).toContain('{client}');
    const onlySidecar = { ...minimal, outputs: [{ kind: 'sidecar' }] };
    expect(rejection(() => parsePreset(onlySidecar)).details?.field).toBe('outputs');
    const extra = { ...minimal, colour: 'srgb' };
    expect(rejection(() => parsePreset(extra)).message).toMatch(/colour/);
  });

  it('refuses presets from a newer version and non-objects', () => {
    expect(rejection(() => parsePreset({ ...minimal, version: 9 })).message).toContain('newer');
    expect(rejection(() => parsePreset('web')).details?.field).toBe('(preset)');
  });

  it('knows which template tokens exist', () => {
    expect(unknownTokens('{name}_{client}_{w}x{h}_{seq:4}_{DATE}')).toEqual([]);
    expect(unknownTokens('{name}_{width}')).toEqual(['{width}']);
  });

  it('migrates version 1 (flat single-output) presets', () => {
    const v1 = { version: 1, name: 'Old web (Acme)', client: 'Acme', format: 'webp', quality: 70, longEdge: 1600, colour: 'display-p3', metadata: 'none', template: '{name}_old' };
    const doc = migratePreset(v1) as { version: number; outputs: unknown[] };
    expect(doc.version).toBe(2);
    const p = parsePreset(v1);
    expect(p.id).toBe('old-web-acme');
    expect(p.client).toBe('Acme');
    const o = p.outputs[0];
    if (o.kind !== 'image' || o.format.format !== 'webp') throw new Error('unexpected output');
    expect(o.format.quality).toBe(70);
    expect(o.size).toEqual({ mode: 'longEdge', px: 1600, enlarge: false });
    expect(o.colour).toBe('display-p3');
    expect(o.metadata.mode).toBe('none');
    expect(o.naming.template).toBe('{name}_old');
    // A bad v1 field is named in v1 terms.
    expect(rejection(() => parsePreset({ ...v1, longEdge: -5 })).details?.field).toBe('longEdge');
  });

  it('slugifies names into ids', () => {
    expect(slugify('Clïent Wéb  2048 / Print!')).toBe('client-web-2048-print');
    expect(slugify('***')).toBe('preset');
  });
});
