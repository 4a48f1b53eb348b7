import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudioService, type StudioService } from '../../../src-main/service';
import { startStudioServer, type StudioServer, type StudioServerOptions } from '../../../src-main/server';

export const RENDERER_DIR = fileURLToPath(new URL('../../../out/renderer', import.meta.url));

export interface Harness {
  root: string;
  dataDir: string;
  service: StudioService;
  server: StudioServer;
  close(): Promise<void>;
}

/** A real service on a temp data dir behind a real server on an ephemeral loopback port. */
export async function startHarness(opts: Partial<Omit<StudioServerOptions, 'core' | 'dataDir'>> = {}): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loupe-server-'));
  const dataDir = path.join(root, 'data');
  const service = await createStudioService({ dataDir, onWarning: () => undefined });
  const server = await startStudioServer({
    core: { api: service, events: service.events, addUpload: (n, b) => service.library.addBuffer(n, b), admitImage: (b) => service.admitImage(b), media: service.media },
    dataDir: service.dataDir,
    staticDir: opts.staticDir ?? RENDERER_DIR,
    port: 0,
    ...opts,
  });
  return {
    root,
    dataDir: service.dataDir,
    service,
    server,
    async close() {
      await server.close();
      await service.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = unknown>(): T;
}

/** One HTTP request with full control of headers (node:http; fetch forbids some of them). */
export function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
    });
    req.on('error', reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

export function call(base: string, method: string, args: unknown[], headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(new URL(`api/call/${method}`, base).toString(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
}

export interface ErrorBody {
  ok: false;
  error: { code: string; message: string };
}
