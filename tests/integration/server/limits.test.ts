// Every door checks the same input limits, from one place (issue: hardening, item 4). A 1 KB
// JPEG whose header declares 12000 x 12000 (144 MP, above the 100 MP default) is refused from
// its header by the web demo, uploads, library imports, jobs and the command line alike, before
// anything is decoded.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { call, raw, startHarness, type ErrorBody, type Harness } from './helpers';

const STUDIO = fileURLToPath(new URL('../../../bin/studio.js', import.meta.url));

/** A tiny real JPEG with the frame size in its SOF header rewritten to w x h. */
async function claimedSize(w: number, h: number): Promise<Buffer> {
  const jpg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#8a7' } }).jpeg({ progressive: true }).toBuffer();
  for (let o = 2; o + 9 < jpg.length; ) {
    const marker = jpg[o + 1];
    if (marker === 0xc0 || marker === 0xc2) {
      jpg.writeUInt16BE(h, o + 5);
      jpg.writeUInt16BE(w, o + 7);
      return jpg;
    }
    o += 2 + jpg.readUInt16BE(o + 2);
  }
  throw new Error('no SOF marker');
}

let h: Harness;
let base: string;
let bomb: Buffer;
let bombFile: string;

beforeAll(async () => {
  h = await startHarness();
  base = h.server.url;
  bomb = await claimedSize(12000, 12000);
  expect((await sharp(bomb).metadata()).width).toBe(12000);
  bombFile = path.join(h.dataDir, 'library', 'bomb.jpg');
  await fs.mkdir(path.dirname(bombFile), { recursive: true });
  await fs.writeFile(bombFile, bomb);
}, 60_000);
afterAll(() => h?.close());

const refusal = (body: ErrorBody) => body.error;

describe('the input-pixel limit at every door', () => {
  it('POST /api/demo refuses it from the header (422 E_INPUT_TOO_LARGE)', async () => {
    const res = await raw(new URL('api/demo?method=bicubic', base).toString(), { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: bomb });
    expect(res.status).toBe(422);
    expect(refusal(res.json<ErrorBody>())).toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    expect(refusal(res.json<ErrorBody>()).message).toContain('100 MP limit');
  });

  it('POST /api/upload refuses it the same way', async () => {
    const res = await raw(new URL('api/upload?name=bomb.jpg', base).toString(), { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: bomb });
    expect(res.status).toBe(422);
    expect(refusal(res.json<ErrorBody>())).toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
  });

  it('library.addPaths and jobs refuse it the same way', async () => {
    const add = await call(base, 'library.addPaths', [[bombFile]]);
    expect(add.status).toBe(422);
    expect(refusal(add.json<ErrorBody>())).toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    const enq = await call(base, 'jobs.enqueue', [{ input: bombFile, method: 'bicubic', scale: 2 }]);
    expect(enq.status).toBe(200);
    const job = await h.service.queue.wait((enq.json<{ value: JobInfo }>()).value.id);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'E_INPUT_TOO_LARGE' } });
  });

  it('the command line refuses it the same way', () => {
    const r = spawnSync(process.execPath, [STUDIO, 'enhance', bombFile, '--scale', '2', '--method', 'bicubic', '--out', path.join(h.root, 'cli-out')], {
      encoding: 'utf8',
      env: { ...process.env, STUDIO_DATA_DIR: path.join(h.root, 'cli-data') },
      timeout: 120_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('E_INPUT_TOO_LARGE');
  });
});
