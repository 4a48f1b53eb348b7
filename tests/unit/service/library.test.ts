import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StudioEvent } from '../../../src-main/contract/events';
import { DEFAULT_LIMITS } from '../../../src-main/imaging';
import { Library, safeFileName } from '../../../src-main/service/library';

let dir: string;
let events: StudioEvent[];
const open = () =>
  Library.open({
    indexFile: path.join(dir, 'library.json'),
    folder: path.join(dir, 'library'),
    limits: { ...DEFAULT_LIMITS, maxUploadMB: 1 },
    emit: (e) => events.push(e),
  });

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-library-'));
  events = [];
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function photo(name: string, w: number, h: number): Promise<string> {
  const p = path.join(dir, name);
  await sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } }).jpeg().toFile(p);
  return p;
}

describe('library', () => {
  it('adds photos by path (folders too), persists them and never copies originals', async () => {
    const a = await photo('a.jpg', 30, 20);
    await fs.mkdir(path.join(dir, 'set'));
    await sharp({ create: { width: 8, height: 9, channels: 4, background: '#ff000080' } }).png().toFile(path.join(dir, 'set', 'b.png'));
    await fs.writeFile(path.join(dir, 'set', 'notes.txt'), 'not a photo');
    const lib = await open();
    const added = await lib.addPaths([a, path.join(dir, 'set')]);
    expect(added.map((i) => [i.name, i.width, i.height, i.format, i.hasAlpha])).toEqual([
      ['a.jpg', 30, 20, 'jpeg', false],
      ['b.png', 8, 9, 'png', true],
    ]);
    expect(added[0].path).toBe(a);
    // Adding the same path again updates the entry instead of duplicating it.
    await lib.addPaths([a]);
    const reopened = await open();
    expect(reopened.list().map((i) => i.name)).toEqual(['a.jpg', 'b.png']);
    expect(events.at(-1)).toMatchObject({ topic: 'library' });
    await expect(fs.access(path.join(dir, 'library'))).rejects.toThrow();
  });

  it('refuses a batch where nothing is an image with the coded error', async () => {
    await fs.writeFile(path.join(dir, 'x.jpg'), 'text');
    const lib = await open();
    await expect(lib.addPaths([path.join(dir, 'x.jpg')])).rejects.toMatchObject({ code: 'E_UNSUPPORTED_FORMAT' });
    await expect(lib.addPaths([path.join(dir, 'nope.jpg')])).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });

  it('stores uploads in the library folder after checking them, and deletes only those on remove', async () => {
    const lib = await open();
    const bytes = await fs.readFile(await photo('up.jpg', 12, 10));
    const item = await lib.addBuffer('../../etc/Holiday photo.JPG', bytes);
    // Under a folder of its own, by the photo's own name: outputs are named after it.
    expect(path.dirname(item.path)).toBe(path.join(dir, 'library', item.id));
    expect(path.basename(item.path)).toBe('Holiday photo.jpg');
    expect(item.name).toBe('Holiday photo.JPG');
    expect(Buffer.compare(await fs.readFile(item.path), bytes)).toBe(0);
    await expect(lib.addBuffer('x.png', Buffer.from('hello'))).rejects.toMatchObject({ code: 'E_UNSUPPORTED_FORMAT' });
    await expect(lib.addBuffer('big.jpg', Buffer.alloc(2 * 2 ** 20))).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });

    const original = await photo('keep.jpg', 10, 10);
    const [kept] = await lib.addPaths([original]);
    expect(await lib.remove(item.id)).toBe(true);
    expect(await lib.remove(kept.id)).toBe(true);
    expect(await lib.remove(kept.id)).toBe(false);
    await expect(fs.access(item.path)).rejects.toThrow();
    await expect(fs.access(path.dirname(item.path))).rejects.toThrow();
    await fs.access(original); // an original is never deleted
    expect(lib.list()).toEqual([]);
  });

  it('recovers from a damaged index', async () => {
    const lib = await open();
    await lib.addPaths([await photo('a.jpg', 5, 5)]);
    await lib.addPaths([await photo('b.jpg', 5, 5)]);
    await fs.writeFile(path.join(dir, 'library.json'), '{"version":1,"items":[{"id":');
    const again = await open();
    expect(again.problem).toBeDefined();
    expect(again.list().map((i) => i.name)).toEqual(['a.jpg']); // the .bak from before the last write
  });

  it('makes safe file names', () => {
    expect(safeFileName('../../a/b/c.jpg')).toBe('c.jpg');
    expect(safeFileName('..\\evil\\x.png')).toBe('x.png');
    expect(safeFileName('a<b>:c?.jpg')).toBe('a_b_c_.jpg');
    expect(safeFileName('...')).toBe('image');
  });
});
