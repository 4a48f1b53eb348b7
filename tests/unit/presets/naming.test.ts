import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFileBase, renderSubfolder, type NamingContext } from '../../../src-main/presets';
import { placeNewBuffer, wouldSkip } from '../../../src-main/presets/place';
import { printPixels, targetSize } from '../../../src-main/imaging/render/sizing';
import { tmpDir } from './helpers';

const ctx: NamingContext = {
  name: 'IMG_0042',
  client: 'Acme Weddings',
  preset: 'client-web-jpeg-2048',
  method: 'user:portrait',
  scale: 4,
  date: new Date(2025, 2, 7, 12, 0, 0),
  seq: 7,
  w: 2048,
  h: 1365,
};

describe('naming templates', () => {
  it('fills every token', () => {
    expect(renderFileBase('{name}_{client}_{preset}_{method}_{scale}x_{date}_{seq}_{w}x{h}', ctx)).toBe(
      'IMG_0042_Acme Weddings_client-web-jpeg-2048_user-portrait_4x_2025-03-07_007_2048x1365',
    );
    expect(renderFileBase('{name}-{seq:5}', ctx)).toBe('IMG_0042-00007');
    expect(renderFileBase('{name}_{scale}x', { ...ctx, scale: 2.5 })).toBe('IMG_0042_2.5x');
  });

  it('drops an empty token together with one separator', () => {
    const noClient = { ...ctx, client: undefined };
    expect(renderFileBase('{name}_{client}_{w}', noClient)).toBe('IMG_0042_2048');
    expect(renderFileBase('{client}_{name}', noClient)).toBe('IMG_0042');
    expect(renderFileBase('{name}-{client}', noClient)).toBe('IMG_0042');
    expect(renderFileBase('{client}', noClient)).toBe('IMG_0042');
  });

  it('keeps token values from escaping the folder', () => {
    const evil = { ...ctx, name: '../../etc/passwd', client: 'a/b\\c:d*?' };
    const base = renderFileBase('{client}_{name}', evil);
    expect(base).not.toMatch(/[\\/:*?]/);
    expect(base).toBe('a_b_c_d___.._.._etc_passwd');
    expect(renderFileBase('CON', ctx)).toBe('_CON');
    expect(renderFileBase('  trailing dots... ', ctx)).toBe('trailing dots');
  });

  it('renders subfolders segment by segment', () => {
    expect(renderSubfolder('{client}/{date}', ctx)).toBe(path.join('Acme Weddings', '2025-03-07'));
    expect(renderSubfolder('../{client}/./x', { ...ctx, client: '..' })).toBe('x');
    expect(renderSubfolder('', ctx)).toBe('');
  });
});

describe('sizes', () => {
  it('computes long edge, fit, percent and print sizes', () => {
    expect(targetSize(4000, 3000, { mode: 'longEdge', px: 2048, enlarge: false })).toEqual({ width: 2048, height: 1536 });
    expect(targetSize(3000, 4000, { mode: 'longEdge', px: 2048, enlarge: false })).toEqual({ width: 1536, height: 2048 });
    expect(targetSize(1000, 500, { mode: 'longEdge', px: 2048, enlarge: false })).toEqual({ width: 1000, height: 500 });
    expect(targetSize(1000, 500, { mode: 'longEdge', px: 2048, enlarge: true })).toEqual({ width: 2048, height: 1024 });
    expect(targetSize(4000, 3000, { mode: 'fit', width: 1000, height: 1000, enlarge: false })).toEqual({ width: 1000, height: 750 });
    expect(targetSize(4000, 3000, { mode: 'percent', percent: 25 })).toEqual({ width: 1000, height: 750 });
    // 30 x 20 cm at 300 ppi = 3543 x 2362 px, and the DPI to write.
    expect(printPixels(30, 'cm', 300)).toBe(3543);
    expect(targetSize(6000, 4000, { mode: 'print', unit: 'cm', width: 30, height: 20, ppi: 300 })).toEqual({ width: 3543, height: 2362, ppi: 300 });
    expect(targetSize(600, 400, { mode: 'print', unit: 'in', width: 10, ppi: 240 })).toEqual({ width: 2400, height: 1600, ppi: 240 });
  });
});

describe('placing files', () => {
  it('adds a suffix on collision and never replaces a file', async () => {
    const dir = await tmpDir();
    const o = { dir, base: 'photo', ext: '.jpg', collision: 'suffix' as const, protect: [] };
    const a = await placeNewBuffer(o, 'first');
    const b = await placeNewBuffer(o, 'second');
    const c = await placeNewBuffer(o, 'third');
    expect([a, b, c].map((p) => path.basename(p ?? ''))).toEqual(['photo.jpg', 'photo-2.jpg', 'photo-3.jpg']);
    expect(await fs.readFile(path.join(dir, 'photo.jpg'), 'utf8')).toBe('first');
    expect(await fs.readFile(path.join(dir, 'photo-2.jpg'), 'utf8')).toBe('second');
    // No temporary files are left behind.
    expect((await fs.readdir(dir)).sort()).toEqual(['photo-2.jpg', 'photo-3.jpg', 'photo.jpg']);
  });

  it('skips when asked, leaving the existing file as it was', async () => {
    const dir = await tmpDir();
    const o = { dir, base: 'photo', ext: '.png', collision: 'skip' as const, protect: [] };
    expect(await wouldSkip(o)).toBe(false);
    expect(await placeNewBuffer(o, 'first')).toBe(path.join(dir, 'photo.png'));
    expect(await wouldSkip(o)).toBe(true);
    expect(await placeNewBuffer(o, 'second')).toBeUndefined();
    expect(await fs.readFile(path.join(dir, 'photo.png'), 'utf8')).toBe('first');
    expect(await fs.readdir(dir)).toEqual(['photo.png']);
  });

  it('never writes over the original, even when the name is free of other files', async () => {
    const dir = await tmpDir();
    const original = path.join(dir, 'IMG_1.jpg');
    await fs.writeFile(original, 'original bytes');
    const suffix = await placeNewBuffer({ dir, base: 'IMG_1', ext: '.jpg', collision: 'suffix', protect: [original] }, 'export');
    expect(suffix).toBe(path.join(dir, 'IMG_1-2.jpg'));
    const skip = await placeNewBuffer({ dir, base: 'IMG_1', ext: '.jpg', collision: 'skip', protect: [original] }, 'export');
    expect(skip).toBeUndefined();
    expect(await fs.readFile(original, 'utf8')).toBe('original bytes');
  });

  it('lets concurrent writers of one name each get their own file', async () => {
    const dir = await tmpDir();
    const o = { dir, base: 'race', ext: '.txt', collision: 'suffix' as const, protect: [] };
    const paths = await Promise.all(Array.from({ length: 6 }, (_, i) => placeNewBuffer(o, `w${i}`)));
    expect(new Set(paths).size).toBe(6);
    const contents = await Promise.all(paths.map((p) => fs.readFile(p ?? '', 'utf8')));
    expect(contents.sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  });
});
