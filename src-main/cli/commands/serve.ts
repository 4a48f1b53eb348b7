// `studio serve`: the studio in a browser. The HTTP front door (contract over POST + SSE, uploads,
// media, the web demo) in front of a StudioService on the data dir, serving the built renderer.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { renderUnicodeCompact } from 'uqr';
import { builtFile } from '../../base/resources';
import { createStudioService } from '../../service';
import { isLoopbackHost, startStudioServer } from '../../server';
import { parseCommandLine, parseNumber, usageError, queueHelp, takeQueue } from '../args';
import type { Command } from '../main';

const DEFAULT_PORT = 4817;

const HELP = `Usage: studio serve [options]

Serve the studio to a web browser on this computer: the full interface, the API (POST
/api/call/<method>, server-sent events on /api/events), uploads and the web demo
(POST /api/demo: a JPEG in, a random crop enlarged 8x out; ?base64=1 for JSON).

Options:
  --port P          port to listen on (default ${DEFAULT_PORT}; 0 = any free port)
  --host H          address to bind (default 127.0.0.1: this computer only). Binding
                    another address (0.0.0.0: every network) is LAN mode: other machines
                    can reach the studio, each with the token printed at start
  --public-host N   the name(s) other machines use to reach the studio (comma-separated or
                    repeated; required in LAN mode). Requests naming any other host are
                    refused (DNS rebinding)
  --open            open the studio in the default browser
  --max-mb N        upload limit in MB (default: the studio's max_MB limit)
  --allow-dir DIR   another folder calls may read from or export to (repeatable); by
                    default only the studio's data folder is reachable over HTTP
${queueHelp(20)}
  --data-dir DIR    studio data folder (default: STUDIO_DATA_DIR, else the user-data folder)

The first line printed is the URL. In LAN mode a pairing URL (and its QR code) carries the
token: open it once on the tablet or other machine; the browser then keeps the token as a
cookie. This computer (127.0.0.1, localhost) needs no token. Stop with Ctrl-C.`;

/** The built interface, out/renderer (or STUDIO_RENDERER_DIR for packaged layouts). */
function rendererDir(): string {
  if (process.env.STUDIO_RENDERER_DIR) return path.resolve(process.env.STUDIO_RENDERER_DIR);
  return builtFile('renderer') ?? path.resolve('out', 'renderer');
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => console.error(`studio serve: could not open a browser; open ${url} yourself.`));
    child.unref();
  } catch {
    console.error(`studio serve: could not open a browser; open ${url} yourself.`);
  }
}

export const command: Command = {
  summary: 'serve the studio to a web browser (HTTP API, events, web demo)',
  help: HELP,
  async run(rawArgv) {
    const { argv, queue } = takeQueue(rawArgv);
    const { values, positionals } = parseCommandLine(
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        open: { type: 'boolean', default: false },
        'max-mb': { type: 'string' },
        'allow-dir': { type: 'string', multiple: true },
        'public-host': { type: 'string', multiple: true },
      },
      HELP,
    );
    if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'`, HELP);
    const port = parseNumber('port', values.port, { min: 0, max: 65535, integer: true }, HELP) ?? DEFAULT_PORT;
    const maxUploadMB = parseNumber('max-mb', values['max-mb'], { min: 0.001, max: 100_000 }, HELP);
    const allowDirs = (values['allow-dir'] ?? []).map((d) => path.resolve(d));
    for (const d of allowDirs) if (!existsSync(d)) throw usageError(`--allow-dir ${d} does not exist`, HELP);
    const host = values.host ?? '127.0.0.1';
    const publicHosts = (values['public-host'] ?? []).flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
    for (const h of publicHosts) if (!/^(\[[0-9a-f:.]+\]|[0-9a-z.-]+)$/i.test(h)) throw usageError(`--public-host '${h}' is not a host name or address`, HELP);
    const lan = !isLoopbackHost(host);
    if (lan && publicHosts.length === 0) {
      throw usageError(`--host ${host} lets other machines in: name how they reach this studio with --public-host NAME (e.g. its LAN name or address)`, HELP);
    }

    const service = await createStudioService({
      ...(queue ? { queue } : {}), ...(maxUploadMB !== undefined ? { limits: { maxUploadMB } } : {}) });
    let server;
    try {
      server = await startStudioServer({
        core: {
          api: service,
          events: service.events,
          addUpload: (name, bytes) => service.library.addBuffer(name, bytes),
          admitImage: (bytes) => service.admitImage(bytes),
          media: service.media,
        },
        dataDir: service.dataDir,
        staticDir: rendererDir(),
        host,
        port,
        ...(maxUploadMB !== undefined ? { maxUploadMB } : {}),
        allowDirs,
        publicHosts,
      });
    } catch (err) {
      await service.dispose();
      const code = (err as { code?: unknown }).code;
      if (code === 'EADDRINUSE') throw usageError(`port ${port} is already in use; pick another with --port N (0 = any free port; through npm: npm start -- --port N)`);
      if (code === 'EADDRNOTAVAIL') throw usageError(`cannot bind ${host}: no such address on this machine`);
      throw err;
    }

    console.log(`Loupe Studio is running at ${server.url}`);
    console.log(`Data folder: ${service.dataDir}`);
    if (server.token !== undefined) {
      console.log(`LAN mode: bound to ${host}; other machines need the token ${server.token}`);
      for (const u of server.pairingUrls) console.log(`Pairing URL: ${u}`);
      if (server.pairingUrls[0]) console.log(renderUnicodeCompact(server.pairingUrls[0]));
    }
    if (!existsSync(path.join(rendererDir(), 'index.html'))) console.log('The interface is not built yet: run `npm run build:renderer`.');
    console.log('Press Ctrl-C to stop.');
    if (values.open) openBrowser(server.url);

    const running = server;
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void (async () => {
          await running.close();
          await service.dispose();
          resolve(0);
        })();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
