import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeOutputPath, writeOutput } from '../../../src-main/imaging';
import { codeOf, tempDir } from './helpers';

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
