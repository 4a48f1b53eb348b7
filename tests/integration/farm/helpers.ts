import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { root } from '../run-studio';

/** A free loopback port (the OS picks it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitForPort(port: number, host = '127.0.0.1', ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RedisServerOptions {
  /** A redis.conf read first (the command line's settings win over it). */
  confFile?: string;
  /** The address it listens on (default loopback). */
  bind?: string;
  /** TLS only, on `port`: the server's certificate and key, and the CA that signed it. */
  tls?: { cert: string; key: string; ca: string };
}

/** A real redis-server with its data in `dir`, persistence on (AOF, fsync always). */
export class RedisServer {
  proc: ChildProcess | undefined;
  log = '';
  constructor(
    readonly dir: string,
    readonly port: number,
    readonly opts: RedisServerOptions = {},
  ) {}

  get host(): string {
    return this.opts.bind ?? '127.0.0.1';
  }

  get url(): string {
    return `${this.opts.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }

  /** The URL with a user (and password) in it. */
  urlFor(user: string, password?: string): string {
    return this.url.replace('://', `://${user}${password !== undefined ? `:${encodeURIComponent(password)}` : ''}@`);
  }

  async start(): Promise<void> {
    const { confFile, tls } = this.opts;
    const ports = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const args = [...(confFile ? [confFile] : []), ...ports, '--bind', this.host, '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
    this.proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.setEncoding('utf8').on('data', (t: string) => (this.log += t));
    this.proc.stderr?.setEncoding('utf8').on('data', (t: string) => (this.log += t));
    try {
      await waitForPort(this.port, this.host);
    } catch (err) {
      throw new Error(`${(err as Error).message}; redis-server said: ${this.log}`);
    }
  }

  /** SIGTERM: Redis flushes its AOF and exits (a restart keeps every acknowledged job). */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await once(p, 'exit');
  }
}

/** `studio worker` as a separate process (bin/studio.js), as a machine of the farm runs it. */
export function startWorker(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): ChildProcess & { log: string[] } {
  // `wrap` runs it through another command, e.g. ['ip', 'netns', 'exec', NS] for another network.
  const [cmd, ...pre] = [...wrap, process.execPath];
  const p = spawn(cmd, [...pre, path.join(root, 'bin/studio.js'), 'worker', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { log: string[] };
  p.log = [];
  p.stdout?.setEncoding('utf8').on('data', (t: string) => p.log.push(t));
  p.stderr?.setEncoding('utf8').on('data', (t: string) => p.log.push(t));
  return p;
}

export async function workerReady(p: ChildProcess & { log: string[] }, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p.log.join('').includes(': ready')) {
    if (p.exitCode !== null) throw new Error(`worker exited ${p.exitCode}: ${p.log.join('')}`);
    if (Date.now() > end) throw new Error(`worker not ready: ${p.log.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopProcess(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill(signal);
  await once(p, 'exit');
}

/**
 * The redis.conf that docs/farm.md recommends, with `password` for CHANGE-ME: the tests run
 * exactly the documented ACL user, so the recipe cannot drift from what works.
 */
export async function documentedRedisConf(password: string): Promise<string> {
  const doc = await fs.readFile(path.join(root, 'docs/farm.md'), 'utf8');
  const m = /```\n# redis\.conf\n([\s\S]*?)```/.exec(doc);
  if (!m || !m[1].includes('CHANGE-ME')) throw new Error('docs/farm.md has no redis.conf block with a CHANGE-ME password');
  return m[1].replace('CHANGE-ME', password);
}

/**
 * A test file's cleanups: `cleanups` run after each test (last first, errors ignored), the
 * folders in `roots` are removed after the file.
 */
export function cleanupHooks(): { cleanups: (() => Promise<void>)[]; roots: string[] } {
  const cleanups: (() => Promise<void>)[] = [];
  const roots: string[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    for (const r of roots) await fs.rm(r, { recursive: true, force: true });
  });
  return { cleanups, roots };
}
