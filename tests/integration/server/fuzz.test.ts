// Standing, seeded fuzz of the HTTP API and of the decoders: a few thousand malformed requests
// and damaged images. Every answer must be a coded error (or a success), never a 500 E_INTERNAL,
// never an internal path; the server must keep answering. Seeded: a failure names its case.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioApi } from '../../../src-main/contract/api';
import { isErrorCode, StudioError } from '../../../src-main/contract/errors';
import { decodeSamples, probeImage } from '../../../src-main/imaging';
import { raw, startHarness, type Harness } from './helpers';

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261205;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ maxUploadMB: 1 });
}, 60_000);
afterAll(() => h?.close());

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function mutateJson(r: () => number): string {
  const values: unknown[] = [null, -1, 0, 1e308, 'x', '', '../../etc/passwd', '/etc/passwd', '%00', [], {}, true, 'a'.repeat(3000), { input: '/etc/passwd', method: 'bicubic', scale: 2 }, { scale: -4 }, { outputsDir: '/' }];
  const pick = () => values[Math.floor(r() * values.length)];
  const roll = r();
  if (roll < 0.2) return randomBytes(r, Math.floor(r() * 64)).toString('latin1');
  if (roll < 0.4) return JSON.stringify(pick());
  if (roll < 0.7) return JSON.stringify(Array.from({ length: Math.floor(r() * 3) }, pick));
  const doc = JSON.stringify([{ input: '/x.png', method: 'bicubic', scale: 2, output: { dir: '/tmp', format: 'png' } }]);
  const cut = Math.floor(r() * doc.length);
  return doc.slice(0, cut) + String.fromCharCode(Math.floor(r() * 128)) + doc.slice(cut + 1);
}

describe('fuzz: the HTTP API', () => {
  it('2000 seeded malformed requests: coded answers only, no internal paths, still serving', async () => {
    const r = rng(SEED);
    const methods = [...Object.keys(studioApi), 'nope', '%E0%A4%A', '..%2f..%2fx', '__proto__', 'constructor'];
    const paths = ['/api/call/', '/api/upload', '/api/demo', '/api/events', '/media/original/', '/media/thumb/', '/media/output/', '/api/', '/', '/assets/', '/%E0%A4%A'];
    const types = ['application/json', 'image/jpeg', 'image/png', 'text/plain', '', 'application/json; charset=utf-8', 'multipart/form-data'];
    for (let c = 0; c < 2000; c++) {
      const base = paths[Math.floor(r() * paths.length)];
      let p = base;
      if (base.endsWith('/') && base.length > 1) p += r() < 0.6 ? methods[Math.floor(r() * methods.length)] : encodeURIComponent(randomBytes(r, 6).toString('latin1'));
      if (r() < 0.3) p += `?w=${Math.floor(r() * 1e6) - 1000}&i=${Math.floor(r() * 5) - 1}&scale=${r() * 20}&base64=1&crop=${Math.floor(r() * 1000)}`;
      let verb = r() < 0.75 ? 'POST' : r() < 0.5 ? 'GET' : r() < 0.5 ? 'PUT' : 'HEAD';
      if (base === '/api/events' && verb === 'GET') verb = 'POST'; // a GET there is a stream that never ends
      const body = verb === 'POST' ? (r() < 0.7 ? mutateJson(r) : randomBytes(r, Math.floor(r() * 2048))) : undefined;
      const type = types[Math.floor(r() * types.length)];
      const res = await raw(new URL(p, h.server.url).toString(), { method: verb, headers: type ? { 'Content-Type': type } : {}, ...(body !== undefined ? { body } : {}) });
      const what = `case ${c} (seed ${SEED}): ${verb} ${p}`;
      expect(res.status, what).toBeLessThan(500);
      if (res.status >= 400 && res.body.length > 0 && String(res.headers['content-type']).startsWith('application/json')) {
        const err = res.json<{ error: { code: string; message: string } }>().error;
        expect(isErrorCode(err.code), what).toBe(true);
        expect(JSON.stringify(err), what).not.toContain(h.dataDir);
      }
    }
    const alive = await raw(new URL('/api/call/app.info', h.server.url).toString(), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(alive.status).toBe(200);
  }, 60_000);
});

describe('fuzz: the decoders', () => {
  it('1500 seeded damaged images: decoded or refused with a coded image error', async () => {
    const r = rng(SEED + 1);
    const pic = () => sharp({ create: { width: 24, height: 20, channels: 4, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } });
    const seeds = [
      await pic().jpeg().toBuffer(),
      await pic().jpeg({ progressive: true }).toBuffer(),
      await pic().png().toBuffer(),
      await pic().webp().toBuffer(),
      await pic().gif().toBuffer(),
      await pic().tiff().toBuffer(),
      await pic().withIccProfile('p3').png().toBuffer(),
    ];
    const allowed = new Set(['E_CORRUPT_IMAGE', 'E_UNSUPPORTED_FORMAT', 'E_EMPTY_FILE', 'E_INPUT_TOO_LARGE', 'E_FILE_TOO_LARGE']);
    for (let c = 0; c < 1500; c++) {
      const src = Buffer.from(seeds[c % seeds.length]);
      let bytes: Buffer = src;
      const kind = Math.floor(r() * 4);
      if (kind === 0) bytes = src.subarray(0, Math.floor(r() * src.length));
      else if (kind === 1) for (let k = 0, n = 1 + Math.floor(r() * 20); k < n; k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      else if (kind === 2) {
        const at = Math.floor(r() * src.length);
        bytes = Buffer.concat([src.subarray(0, at), randomBytes(r, 1 + Math.floor(r() * 64)), src.subarray(at)]);
      } else {
        // Header fields (sizes, lengths) are early in every format: damage there.
        const at = Math.min(src.length - 1, 8 + Math.floor(r() * 40));
        bytes[at] = r() < 0.5 ? 0xff : 0x00;
      }
      const what = `case ${c} (seed ${SEED + 1}, kind ${kind})`;
      for (const step of [() => probeImage(bytes, { maxInputMP: 4 }), () => decodeSamples(bytes, { maxInputMP: 4 })]) {
        try {
          const out = await step();
          expect(out, what).toBeTruthy();
        } catch (err) {
          expect(err, `${what}: ${String(err)}`).toBeInstanceOf(StudioError);
          expect(allowed.has((err as StudioError).code), `${what}: ${(err as StudioError).code} ${(err as Error).message}`).toBe(true);
          break;
        }
      }
    }
  }, 60_000);
});
