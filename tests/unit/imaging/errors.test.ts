import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkOutputSize, decodeImage, encodeImage, probeImage, renderPreview } from '../../../src-main/imaging';
import { codeOf, gradient, tempDir } from './helpers';

describe('bad inputs give coded errors, never crashes', async () => {
  const dir = await tempDir();
  const png = await encodeImage(gradient(64, 48), { format: 'png' });
  const jpg = await encodeImage(gradient(64, 48), { format: 'jpeg' });

  it('missing file -> E_FILE_NOT_FOUND', async () => {
    expect(await codeOf(decodeImage(path.join(dir, 'nope.jpg')))).toBe('E_FILE_NOT_FOUND');
    expect(await codeOf(probeImage(path.join(dir, 'nope', 'deeper.png')))).toBe('E_FILE_NOT_FOUND');
  });

  it('zero bytes -> E_EMPTY_FILE', async () => {
    const f = path.join(dir, 'empty.png');
    await fs.writeFile(f, '');
    expect(await codeOf(decodeImage(f))).toBe('E_EMPTY_FILE');
    expect(await codeOf(decodeImage(Buffer.alloc(0)))).toBe('E_EMPTY_FILE');
  });

  it('truncated PNG / JPEG / TIFF -> E_CORRUPT_IMAGE', async () => {
    const tif = await encodeImage(gradient(64, 48), { format: 'tiff' });
    for (const b of [png, jpg, tif]) {
      for (const frac of [0.2, 0.7]) {
        const f = path.join(dir, `cut-${frac}.img`);
        await fs.writeFile(f, b.subarray(0, Math.floor(b.length * frac)));
        expect(await codeOf(decodeImage(f))).toBe('E_CORRUPT_IMAGE');
      }
    }
  });

  it('text or other non-image data, also with an image extension -> E_UNSUPPORTED_FORMAT', async () => {
    const f = path.join(dir, 'notes.jpg');
    await fs.writeFile(f, 'these are not pixels\n'.repeat(10));
    expect(await codeOf(decodeImage(f))).toBe('E_UNSUPPORTED_FORMAT');
    const svg = path.join(dir, 'icon.png');
    await fs.writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await codeOf(decodeImage(svg))).toBe('E_UNSUPPORTED_FORMAT');
    expect(await codeOf(decodeImage(dir))).toBe('E_UNSUPPORTED_FORMAT');
  });

  it('HEIC is refused with its own message', async () => {
    const ftyp = Buffer.alloc(32);
    ftyp.writeUInt32BE(24, 0);
    ftyp.write('ftypheic', 4, 'latin1');
    ftyp.write('mif1heic', 16, 'latin1');
    try {
      await decodeImage(ftyp);
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_UNSUPPORTED_FORMAT');
      expect((e as Error).message).toMatch(/HEIC/);
    }
  });

  it('a valid image with the wrong extension decodes by content', async () => {
    const f = path.join(dir, 'really-a-png.jpg');
    await fs.writeFile(f, png);
    const d = await decodeImage(f);
    expect(d.meta.format).toBe('png');
    expect(d.rgb.width).toBe(64);
  });

  it('limits: pixels (from the header), file size and output size', async () => {
    const f = path.join(dir, 'ok.png');
    await fs.writeFile(f, png);
    expect(await codeOf(decodeImage(f, { maxInputMP: 0.003 }))).toBe('E_INPUT_TOO_LARGE'); // 3072 px > 3000
    expect(await codeOf(probeImage(f, { maxInputMP: 0.003 }))).toBe('E_INPUT_TOO_LARGE');
    expect(await codeOf(renderPreview(f, { limits: { maxInputMP: 0.003 } }))).toBe('E_INPUT_TOO_LARGE');
    expect(await codeOf(decodeImage(f, { maxFileMB: png.length / 2 / 2 ** 20 }))).toBe('E_FILE_TOO_LARGE');
    expect((await decodeImage(f, { maxInputMP: 0.004 })).rgb.width).toBe(64);
    expect(() => checkOutputSize(4000, 3000, 4, { maxOutputMP: 150 })).toThrow(/192 MP\), above the 150 MP limit/);
    try {
      checkOutputSize(4000, 3000, 4, { maxOutputMP: 150 });
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_OUTPUT_TOO_LARGE');
    }
    expect(checkOutputSize(4000, 3000, 4, { maxOutputMP: 200 })).toEqual({ width: 16000, height: 12000 });
  });

  it('a decompression bomb (header claims 400 MP) is refused before decoding', async () => {
    // A real PNG whose IHDR says 20000 x 20000: libvips would try to allocate it all.
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(20000, 16);
    bomb.writeUInt32BE(20000, 20);
    bomb.writeUInt32BE(zlib.crc32(bomb.subarray(12, 29)) >>> 0, 29);
    expect(await probeImage(bomb)).toMatchObject({ width: 20000, height: 20000 });
    expect(await codeOf(decodeImage(bomb))).toBe('E_INPUT_TOO_LARGE');
    expect(await codeOf(renderPreview(bomb))).toBe('E_INPUT_TOO_LARGE');
  });
});
