import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_INCLUDE } from '../../../src-main/contract/watch';
import { createFileFilter, isIgnoredName } from '../../../src-main/watch/filter';
import { isInsideOrSame, relPosix } from '../../../src-main/base/paths';

const src = path.resolve('/studio/in');
const p = (...s: string[]) => path.join(src, ...s);

describe('watch filter', () => {
  it('ignores hidden, temporary and system names', () => {
    for (const n of ['.DS_Store', '.hidden.jpg', '~$report.jpg', 'photo.jpg.part', 'a.crdownload', 'x.tmp', 'Thumbs.db', 'desktop.ini', 'b.jpg~'])
      expect(isIgnoredName(n), n).toBe(true);
    for (const n of ['photo.jpg', 'IMG_0001.JPG', 'a~b.png', 'part.png']) expect(isIgnoredName(n), n).toBe(false);
  });

  it('takes image extensions by default, case-insensitively, top level only unless recursive', () => {
    const flat = createFileFilter(src, { recursive: false, include: DEFAULT_WATCH_INCLUDE, exclude: [], excludedDirs: () => [] });
    expect(flat.file(p('a.jpg'))).toBe(true);
    expect(flat.file(p('B.JPEG'))).toBe(true);
    expect(flat.file(p('c.tiff'))).toBe(true);
    expect(flat.file(p('notes.txt'))).toBe(false);
    expect(flat.file(p('sub', 'a.jpg'))).toBe(false);
    expect(flat.dir(p('sub'))).toBe(false);
    expect(flat.file(path.resolve('/elsewhere/a.jpg'))).toBe(false);

    const deep = createFileFilter(src, { recursive: true, include: DEFAULT_WATCH_INCLUDE, exclude: [], excludedDirs: () => [] });
    expect(deep.file(p('sub', 'deeper', 'a.png'))).toBe(true);
    expect(deep.dir(p('sub'))).toBe(true);
    expect(deep.dir(p('.git'))).toBe(false);
    expect(deep.file(p('.cache', 'a.png'))).toBe(false);
  });

  it('applies include/exclude globs and never looks into excluded folders (outputs)', () => {
    const out = p('out');
    const f = createFileFilter(src, { recursive: true, include: ['*.png'], exclude: ['raw/**', '*_small.png'], excludedDirs: () => [out] });
    expect(f.file(p('a.png'))).toBe(true);
    expect(f.file(p('sub', 'a.png'))).toBe(true);
    expect(f.file(p('a.jpg'))).toBe(false);
    expect(f.file(p('raw', 'a.png'))).toBe(false);
    expect(f.dir(p('raw'))).toBe(false);
    expect(f.file(p('sub', 'x_small.png'))).toBe(false);
    expect(f.file(p('out', 'a.png'))).toBe(false);
    expect(f.dir(p('out'))).toBe(false);
    expect(f.dir(p('outline'))).toBe(true);
  });

  it('paths: inside checks do not confuse prefixes', () => {
    expect(isInsideOrSame('/a/b/c', '/a/b')).toBe(true);
    expect(isInsideOrSame('/a/b', '/a/b/')).toBe(true);
    expect(isInsideOrSame('/a/bc', '/a/b')).toBe(false);
    expect(isInsideOrSame('/a', '/a/b')).toBe(false);
    expect(relPosix('/a', path.join('/a', 'b', 'c.jpg'))).toBe('b/c.jpg');
  });
});
