import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeOutputPath, writeFileAtomic, writeOutput } from '../../../src-main/imaging';
import { codeOf, tempDir } from './helpers';

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

describe('writeOutput', () => {
  it('refuses to replace the input (also through a symlink) with E_WOULD_OVERWRITE', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'photo.jpg');
    await fs.writeFile(input, 'original');
    expect(await codeOf(writeOutput(input, Buffer.from('x'), { inputPath: input, overwrite: true }))).toBe('E_WOULD_OVERWRITE');
    const link = path.join(dir, 'link.jpg');
    await fs.symlink(input, link);
    expect(await codeOf(writeOutput(link, Buffer.from('x'), { inputPath: input, overwrite: true }))).toBe('E_WOULD_OVERWRITE');
    expect(await fs.readFile(input, 'utf8')).toBe('original');
    await writeOutput(input, Buffer.from('replaced'), { inputPath: input, overwrite: true, replaceInput: true });
    expect(await fs.readFile(input, 'utf8')).toBe('replaced');
  });

  it('refuses an existing output unless overwrite, and creates missing folders', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'sub', 'deeper', 'out.png');
    await writeOutput(out, Buffer.from('one'));
    expect(await codeOf(writeOutput(out, Buffer.from('two')))).toBe('E_WOULD_OVERWRITE');
    await writeOutput(out, Buffer.from('two'), { overwrite: true });
    expect(await fs.readFile(out, 'utf8')).toBe('two');
    expect(await freeOutputPath(out)).toBe(path.join(dir, 'sub', 'deeper', 'out-2.png'));
  });
});
