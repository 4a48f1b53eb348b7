import { mkdir, readFile, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StudioError } from '../contract/errors';
import { MethodId, QualityPreset } from '../contract/enhance';
import type { JobInfo } from '../contract/jobs';
import { cropToPng, probeImage } from '../imaging';
import { readBody, requireMediaType } from './body';
import type { ServerCore } from './core';
import { BASE_HEADERS, sendOk } from './respond';

// POST /api/demo: the source document's web demo (main-flask.py). Upload a JPEG of at most
// max_MB; a random crop of it is enlarged 8x by the studio's own job queue (ZSSR when it is
// installed, else bicubic) and returned as PNG, or as base64 JSON with ?base64=1.

const DEFAULT_CROP = 64;

export interface DemoOptions {
  dataDir: string;
  limitBytes: () => Promise<number>;
  /** How long one demo may run before it is cancelled. */
  timeoutMs?: number;
}

function isJpeg(b: Buffer): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new StudioError('E_INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}`);
  return v;
}

/** Resolves when the job ends; a failed or cancelled job rejects with its error. */
function waitForJob(core: ServerCore, jobId: string, timeoutMs: number): Promise<JobInfo> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown, job?: JobInfo): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      if (err) reject(err);
      else if (job) resolve(job);
    };
    const check = async (): Promise<void> => {
      try {
        const job = await core.api['jobs.get'](jobId);
        if (job.state === 'done') finish(undefined, job);
        else if (job.state === 'failed' || job.state === 'cancelled') {
          finish(job.error ? new StudioError(job.error.code, job.error.message) : new StudioError('E_CANCELLED', 'the demo job was cancelled'));
        }
      } catch (err) {
        finish(err);
      }
    };
    const unsubscribe = core.events.subscribe((e) => {
      if (e.topic === 'job' && e.event.jobId === jobId && e.event.type === 'state') void check();
    });
    const timer = setTimeout(() => {
      void core.api['jobs.cancel'](jobId).catch(() => undefined);
      finish(new StudioError('E_CANCELLED', `the demo took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
    }, timeoutMs);
    void check();
  });
}

export function createDemoRoute(core: ServerCore, opts: DemoOptions) {
  return async function handleDemo(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    requireMediaType(req, (t) => t === 'image/jpeg' || t === 'image/pjpeg' || t === 'application/octet-stream', 'a JPEG photo (image/jpeg)');
    const bytes = await readBody(req, await opts.limitBytes());
    if (bytes.length === 0) throw new StudioError('E_EMPTY_FILE', 'the upload is empty');
    if (!isJpeg(bytes)) throw new StudioError('E_UNSUPPORTED_FORMAT', 'the demo takes JPEG photos only');

    const scale = intParam(query, 'scale', 8, 2, 8);
    const side = intParam(query, 'crop', DEFAULT_CROP, 8, 512);
    const preset = QualityPreset.safeParse(query.get('preset') ?? 'draft');
    if (!preset.success) throw new StudioError('E_INVALID_ARGUMENT', 'preset must be draft, balanced or max');
    const models = await core.api['models.list']();
    const wanted = query.get('method') ?? (models.some((m) => m.id === 'zssr') ? 'zssr' : 'bicubic');
    if (!MethodId.safeParse(wanted).success || !models.some((m) => m.id === wanted)) {
      throw new StudioError('E_MODEL_NOT_FOUND', `unknown method '${wanted}'`);
    }

    // The same admission as every other door: file size and input pixels from the header, before
    // anything is decoded (a small progressive JPEG can declare a huge picture).
    const { width, height } = await core.admitImage(bytes);
    const cw = Math.min(side, width);
    const ch = Math.min(side, height);
    const crop = { x: Math.floor(Math.random() * (width - cw + 1)), y: Math.floor(Math.random() * (height - ch + 1)), width: cw, height: ch };

    const dir = path.join(opts.dataDir, 'demo', randomUUID());
    await mkdir(dir, { recursive: true });
    try {
      const input = path.join(dir, 'crop.png');
      await cropToPng(bytes, crop, input);
      const job = await core.api['jobs.enqueue']({
        input,
        method: wanted,
        scale,
        preset: preset.data,
        output: { dir: path.join(dir, 'out'), format: 'png' },
      });
      // A visitor who gives up should not leave the engine busy.
      const onGone = (): void => {
        if (!res.writableEnded) void core.api['jobs.cancel'](job.id).catch(() => undefined);
      };
      res.on('close', onGone);
      const done = await waitForJob(core, job.id, opts.timeoutMs ?? 15 * 60_000);
      res.off('close', onGone);
      const outFile = done.outputs[0];
      if (!outFile) throw new StudioError('E_INTERNAL', 'the demo job produced no output');
      const png = await readFile(outFile);
      const outMeta = await probeImage(png);
      const info = { method: wanted, scale, crop, width: outMeta.width ?? 0, height: outMeta.height ?? 0, jobId: job.id };
      if (query.get('base64') === '1' || query.get('base64') === 'true') {
        sendOk(res, { ...info, mime: 'image/png', base64: png.toString('base64') });
      } else {
        res.writeHead(200, {
          ...BASE_HEADERS,
          'Content-Type': 'image/png',
          'Content-Length': png.length,
          'Cache-Control': 'no-store',
          'X-Studio-Demo': JSON.stringify(info),
        });
        res.end(png);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
