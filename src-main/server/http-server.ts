import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import { createCallRoute } from './call';
import type { ServerCore } from './core';
import { createDemoRoute } from './demo';
import { createEventsRoute } from './events';
import { ServerAuth, newToken, TOKEN_QUERY } from './auth';
import { HostCheck, isLoopbackHost } from './host-check';
import type { MediaKind } from '../contract/bridge';
import { MEDIA_KINDS } from '../contract/media';
import { createMediaRoute } from './media';
import { mediaSourceOf, MediaService } from '../service/media';
import { dataPaths } from '../service/data-dir';
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
  /** The names other machines reach the studio by (the Host header must be one of them or loopback). */
  publicHosts?: string[];
  /**
   * The secret of a studio bound beyond loopback (LAN mode); one is made when none is given.
   * Ignored on loopback binds.
   */
  token?: string;
  demoTimeoutMs?: number;
  /** Problems found while serving (default: stderr). */
  onWarning?: (message: string) => void;
}

export interface StudioServer {
  url: string;
  /** LAN mode: the secret every non-loopback request must bring, and the URLs that pair a browser. */
  token?: string;
  pairingUrls: string[];
  host: string;
  port: number;
  close(): Promise<void>;
}

function methodNotAllowed(allowed: string): RouteError {
  return new RouteError(405, 'E_INVALID_ARGUMENT', `this route takes ${allowed} requests`, { allowed });
}

/** A percent-encoded path part; malformed encoding is the client's mistake (400), not ours. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new StudioError('E_INVALID_ARGUMENT', 'the URL path is not valid percent-encoding');
  }
}

export async function startStudioServer(opts: StudioServerOptions): Promise<StudioServer> {
  const host = opts.host ?? '127.0.0.1';
  const { core } = opts;
  const guard = new PathGuard([opts.dataDir, ...(opts.allowDirs ?? [])].map((d) => path.resolve(d)));
  const publicHosts = opts.publicHosts ?? [];
  const hosts = new HostCheck(host, publicHosts);
  const token = isLoopbackHost(host) ? undefined : (opts.token ?? newToken());
  const auth = new ServerAuth(token);
  const limitBytes = async (): Promise<number> => {
    const mb = opts.maxUploadMB ?? (await core.api['app.info']()).limits.maxUploadMB;
    return Math.floor(mb * 1024 * 1024);
  };

  const handleCall = createCallRoute(core, guard, {
    fallbackOutputsDir: dataPaths(opts.dataDir).outputs,
    onWarning: opts.onWarning ?? ((m) => console.error(`studio serve: ${m}`)),
  });
  const events = createEventsRoute(core);
  const handleUpload = createUploadRoute(core, limitBytes);
  const handleDemo = createDemoRoute(core, { dataDir: opts.dataDir, limitBytes, timeoutMs: opts.demoTimeoutMs });
  const media = core.media ?? new MediaService(mediaSourceOf(core.api, () => guard.roots));
  const handleMedia = createMediaRoute({ media, guard });
  const handleStatic = createStaticRoute(opts.staticDir);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hosts.hostAllowed(req)) {
      throw new StudioError('E_FORBIDDEN_SENDER', `requests must address the studio as 127.0.0.1, localhost or one of its --public-host names, not '${req.headers.host ?? ''}'`);
    }
    const url = new URL(req.url ?? '/', 'http://studio.invalid');
    const p = url.pathname;
    const verdict = auth.check(req, url.searchParams);
    if (!verdict.ok) {
      throw new StudioError('E_UNAUTHORIZED', 'this studio is on the network and needs its token: open the pairing URL that `studio serve` printed');
    }
    if (verdict.setCookie) {
      res.setHeader('Set-Cookie', verdict.setCookie);
      // A page opened from the pairing URL: drop the token from the address bar and history.
      if (url.searchParams.has(TOKEN_QUERY) && req.method === 'GET' && !p.startsWith('/api/') && !p.startsWith('/media/')) {
        url.searchParams.delete(TOKEN_QUERY);
        res.writeHead(303, { Location: `${p}${url.search}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
        res.end();
        return;
      }
    }
    const isPost = req.method === 'POST';
    if (isPost && (!hosts.originAllowed(req) || req.headers['sec-fetch-site'] === 'cross-site')) {
      throw new StudioError('E_FORBIDDEN_SENDER', 'calls from other web sites are refused');
    }

    if (p.startsWith('/api/call/') || p.startsWith('/media/')) guard.setAllowedFolders((await core.api['settings.get']()).allowedFolders ?? []);
    if (p.startsWith('/api/call/')) {
      if (!isPost) throw methodNotAllowed('POST');
      return handleCall(req, res, decodePart(p.slice('/api/call/'.length)));
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
      return handleMedia(req, res, kind, decodePart(media[2]), url.searchParams);
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
  const pairingUrls = token === undefined ? [] : publicHosts.map((h) => `http://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${addr.port}/?${TOKEN_QUERY}=${token}`);
  return {
    url: `http://${urlHost}:${addr.port}/`,
    ...(token !== undefined ? { token } : {}),
    pairingUrls,
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
