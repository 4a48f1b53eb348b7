import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import { createCallRoute } from './call';
import type { ServerCore } from './core';
import { createDemoRoute } from './demo';
import { createEventsRoute } from './events';
import { HostCheck } from './host-check';
import type { MediaKind } from '../contract/bridge';
import { MEDIA_KINDS } from '../contract/media';
import { createMediaRoute } from './media';
import { mediaSourceOf, MediaService } from '../service/media';
import { PathGuard } from './path-guard';
import { RouteError, refuseBody, sendError } from './respond';
import { createStaticRoute } from './static';
import { createUploadRoute } from './upload';

// The studio's HTTP front door: the contract over POST + SSE, uploads, media made by sharp,
// the web demo and the built renderer. Loopback only unless the caller binds elsewhere.

export interface StudioServerOptions {
  core: ServerCore;
  /** The studio's data folder: library, outputs, cache... Paths in calls must stay inside it. */
  dataDir: string;
  /** The built renderer (out/renderer). */
  staticDir: string;
  host?: string;
  port?: number;
  /** Upload limit; default: the core's limits.maxUploadMB (config max_MB). */
  maxUploadMB?: number;
  /** More folders calls may name (export destinations, folders to import from). */
  allowDirs?: string[];
  /** More host names the Host header may carry (a LAN name when bound to 0.0.0.0). */
  allowHosts?: string[];
  demoTimeoutMs?: number;
}

export interface StudioServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

function methodNotAllowed(allowed: string): RouteError {
  return new RouteError(405, 'E_INVALID_ARGUMENT', `this route takes ${allowed} requests`, { allowed });
}

export async function startStudioServer(opts: StudioServerOptions): Promise<StudioServer> {
  const host = opts.host ?? '127.0.0.1';
  const { core } = opts;
  const guard = new PathGuard([opts.dataDir, ...(opts.allowDirs ?? [])].map((d) => path.resolve(d)));
  const hosts = new HostCheck(host, opts.allowHosts);
  const limitBytes = async (): Promise<number> => {
    const mb = opts.maxUploadMB ?? (await core.api['app.info']()).limits.maxUploadMB;
    return Math.floor(mb * 1024 * 1024);
  };

  const handleCall = createCallRoute(core, guard);
  const events = createEventsRoute(core);
  const handleUpload = createUploadRoute(core, limitBytes);
  const handleDemo = createDemoRoute(core, { dataDir: opts.dataDir, limitBytes, timeoutMs: opts.demoTimeoutMs });
  const media = core.media ?? new MediaService(mediaSourceOf(core.api, () => guard.roots));
  const handleMedia = createMediaRoute({ media, guard });
  const handleStatic = createStaticRoute(opts.staticDir);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hosts.hostAllowed(req)) {
      throw new StudioError('E_FORBIDDEN_SENDER', `requests must address the studio as 127.0.0.1 or localhost, not '${req.headers.host ?? ''}'`);
    }
    const url = new URL(req.url ?? '/', 'http://studio.invalid');
    const p = url.pathname;
    const isPost = req.method === 'POST';
    if (isPost && (!hosts.originAllowed(req) || req.headers['sec-fetch-site'] === 'cross-site')) {
      throw new StudioError('E_FORBIDDEN_SENDER', 'calls from other web sites are refused');
    }

    if (p.startsWith('/api/call/') || p.startsWith('/media/')) guard.setAllowedFolders((await core.api['settings.get']()).allowedFolders ?? []);
    if (p.startsWith('/api/call/')) {
      if (!isPost) throw methodNotAllowed('POST');
      return handleCall(req, res, decodeURIComponent(p.slice('/api/call/'.length)));
    }
    if (p === '/api/events') {
      if (req.method !== 'GET') throw methodNotAllowed('GET');
      return events.handleEvents(req, res);
    }
    if (p === '/api/upload') {
      if (!isPost) throw methodNotAllowed('POST');
      return handleUpload(req, res, url.searchParams);
    }
    if (p === '/api/demo') {
      if (!isPost) throw methodNotAllowed('POST');
      return handleDemo(req, res, url.searchParams);
    }
    if (p.startsWith('/api/')) throw new StudioError('E_NOT_FOUND', `no API route ${p}`);
    const media = /^\/media\/([a-z]+)\/([^/]+)$/.exec(p);
    if (media) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed('GET');
      const kind = media[1] as MediaKind;
      if (!MEDIA_KINDS.includes(kind)) throw new StudioError('E_NOT_FOUND', `unknown media kind '${media[1]}'`);
      return handleMedia(req, res, kind, decodeURIComponent(media[2]), url.searchParams);
    }
    return handleStatic(req, res, p);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // A body we did not read must not be left on a keep-alive connection.
      if (!req.complete) refuseBody(req, res, err);
      else sendError(res, err);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' || host.includes(':') ? `[${addr.address}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${addr.port}/`,
    host,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        events.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
