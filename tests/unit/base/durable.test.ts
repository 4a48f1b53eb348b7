import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src-main/base/durable';
import { tempDir } from '../imaging/helpers';

describe('atomic writes', () => {
  it('writes, replaces and leaves no temp file behind', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'out.png');
    await writeFileAtomic(f, Buffer.from('first'));
    await writeFileAtomic(f, Buffer.from('second'));
    expect(await fs.readFile(f, 'utf8')).toBe('second');
    expect(await fs.readdir(dir)).toEqual(['out.png']);
  });

  it('cleans up its temp file when the write fails', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'a-dir');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'x'), 'keep'); // rename onto a non-empty folder fails
    await expect(writeFileAtomic(target, Buffer.from('data'))).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['a-dir']);
  });
});
