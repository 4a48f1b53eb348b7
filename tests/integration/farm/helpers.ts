import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
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

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A real redis-server on loopback with its data in `dir`, persistence on (AOF, fsync always). */
export class RedisServer {
  proc: ChildProcess | undefined;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
    await waitForPort(this.port);
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
export function startWorker(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { log: string[] } {
  const p = spawn(process.execPath, [path.join(root, 'bin/studio.js'), 'worker', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { log: string[] };
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
