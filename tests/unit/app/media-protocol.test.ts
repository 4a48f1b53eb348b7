import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageItem } from '../../../src-main/contract/api';
import { mediaUrlOf } from '../../../src-main/contract/bridge';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { createMediaHandler, isAllowedFile, parseMediaUrl } from '../../../src-main/app/media-protocol';
import type { StudioService } from '../../../src-main/service';
import { openService, tempDir, waitForJob, writePhoto } from './helpers';

let dir: string;
let svc: StudioService;
let jpeg: ImageItem;
let tiff: ImageItem;
let job: JobInfo;
let media: (r: Request) => Promise<Response>;

beforeAll(async () => {
  dir = await tempDir('studio-media-');
  svc = await openService(dir);
  const photos = path.join(dir, 'photos');
  await fs.mkdir(photos);
  [jpeg, tiff] = await svc['library.addPaths']([
    await writePhoto(path.join(photos, 'street.jpg'), 120, 80, 'jpeg'),
    await writePhoto(path.join(photos, 'scan.tif'), 60, 40, 'tiff'),
  ]);
  await fs.writeFile(path.join(photos, 'private.txt'), 'not for the page');
  const queued = await svc['jobs.enqueue']({ input: jpeg.path, method: 'bicubic', scale: 2, output: { dir: path.join(dir, 'exports'), format: 'png' } });
  job = await waitForJob(svc, queued.id);
  media = createMediaHandler({ api: svc, roots: () => [svc.paths.outputs, svc.paths.cache, svc.paths.library] });
}, 120_000);

afterAll(async () => {
  await svc?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

const get = (url: string) => media(new Request(url));

describe('studio-media:// URLs', () => {
  it('round-trip between the preload builder and the protocol parser', () => {
    expect(parseMediaUrl(mediaUrlOf('preview', 'id with/slash?', { w: 300 }))).toEqual({ kind: 'preview', id: 'id with/slash?', w: 300, i: 0 });
    expect(parseMediaUrl(mediaUrlOf('output', 'j1', { i: 3 }))).toEqual({ kind: 'output', id: 'j1', i: 3 });
    expect(parseMediaUrl(mediaUrlOf('thumb', 'x'))).toMatchObject({ kind: 'thumb', w: 320 });
  });
  it.each(['studio-media://secrets/x', 'studio-media://preview/x?w=5', 'studio-media://preview/x?w=abc', 'studio-media://output/x?i=-1', 'studio-media://preview/'])(
    'refuses %s',
    (url) => {
      expect(() => parseMediaUrl(url)).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    },
  );
});

describe('studio-media:// handler', () => {
  it('serves a registered JPEG original byte for byte', async () => {
    const r = await get(mediaUrlOf('original', jpeg.id));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await r.arrayBuffer()).equals(await fs.readFile(jpeg.path))).toBe(true);
  });

  it('makes previews and thumbnails with sharp, within the size asked', async () => {
    const r = await get(mediaUrlOf('preview', jpeg.id, { w: 60 }));
    expect(r.status).toBe(200);
    const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 60, 40]);
  });

  it('converts what Chromium cannot show (16-bit TIFF) instead of passing it through', async () => {
    const r = await get(mediaUrlOf('original', tiff.id));
    expect(r.status).toBe(200);
    const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    expect(meta.format).not.toBe('tiff');
    expect([meta.width, meta.height]).toEqual([60, 40]);
  });

  it("serves a job's output (written to the folder the job asked for)", async () => {
    expect(job.state).toBe('done');
    const r = await get(mediaUrlOf('output', job.id));
    expect(r.status).toBe(200);
    const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([240, 160]);
    const missing = await get(mediaUrlOf('output', job.id, { i: 5 }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
  });

  it('answers unknown ids and bad URLs with coded JSON errors', async () => {
    const unknown = await get(mediaUrlOf('preview', 'no-such-image'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    const bad = await get('studio-media://etc/passwd');
    expect(bad.status).toBe(400);
    expect((await media(new Request(mediaUrlOf('original', jpeg.id), { method: 'POST', body: 'x' }))).status).toBe(400);
  });
});

describe('isAllowedFile', () => {
  it('accepts exact registered files and files inside the roots, nothing else', async () => {
    const roots = [svc.paths.outputs];
    await fs.mkdir(svc.paths.outputs, { recursive: true });
    const inside = path.join(svc.paths.outputs, 'a.png');
    await fs.writeFile(inside, 'x');
    const outside = path.join(dir, 'photos', 'private.txt');
    expect(await isAllowedFile(inside, [], roots)).toBe(true);
    expect(await isAllowedFile(jpeg.path, [jpeg.path], roots)).toBe(true);
    expect(await isAllowedFile(outside, [jpeg.path], roots)).toBe(false);
    expect(await isAllowedFile(path.join(svc.paths.outputs, '..', 'settings.json'), [], roots)).toBe(false);
    expect(await isAllowedFile('relative.png', [], roots)).toBe(false);
    // A link inside an allowed folder that points out of it does not get through.
    const link = path.join(svc.paths.outputs, 'link.txt');
    await fs.symlink(outside, link);
    expect(await isAllowedFile(link, [], roots)).toBe(false);
  });
});
