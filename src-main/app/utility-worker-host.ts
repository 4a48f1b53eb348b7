import type { ForkOptions } from 'electron';
import os from 'node:os';
import { ProcessWorkerHost, type ProcessWorkerHostOptions, type SpawnWorker, type WorkerProcess } from '../jobs/worker-host';

// The engine worker in an Electron utilityProcess: a Chromium-supervised Node process that
// shares nothing with the window, so a native crash or an out-of-memory in tfjs-node ends only
// that process. Supervision (ready, crash -> failed job, restart, cancel) is ProcessWorkerHost's;
// this file only adapts utilityProcess to its WorkerProcess shape.

/** The part of Electron's UtilityProcess used here. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'spawn', listener: () => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): this;
}

/** `utilityProcess.fork` (injected: this module never loads Electron itself). */
export type ForkUtility = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcessLike;

/**
 * The engine is batch work: at below-normal priority it yields the CPU to the window (main and
 * renderer processes) on a busy machine and still gets every idle cycle. Best effort.
 */
export function lowerPriority(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    os.setPriority(pid, os.constants.priority.PRIORITY_BELOW_NORMAL);
    return true;
  } catch {
    return false;
  }
}

export interface UtilityWorkerOptions {
  /** The bundled utility entry (out/main/worker.js). */
  entry: string;
  env?: NodeJS.ProcessEnv;
  /** V8 heap limit of the engine process in MB. */
  maxOldSpaceMB?: number;
  /** Copy the engine's output to ours (STUDIO_DEBUG=1 does the same). */
  passthroughOutput?: boolean;
  /** Run the engine at below-normal CPU priority (default true). */
  lowPriority?: boolean;
}

export function utilityProcessSpawner(fork: ForkUtility, opts: UtilityWorkerOptions): SpawnWorker {
  return (handlers) => {
    const execArgv = opts.maxOldSpaceMB ? [`--max-old-space-size=${opts.maxOldSpaceMB}`] : [];
    const child = fork(opts.entry, [], {
      serviceName: 'Loupe Studio Engine',
      stdio: 'pipe',
      execArgv,
      env: { ...(opts.env ?? process.env), STUDIO_WORKER: '1' },
    });
    const passthrough = opts.passthroughOutput ?? process.env.STUDIO_DEBUG === '1';
    const pipe = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') => {
      stream?.setEncoding('utf8');
      stream?.on('data', (t: string) => {
        handlers.onOutput?.(name, t);
        if (passthrough) process.stderr.write(t);
      });
    };
    pipe(child.stdout, 'stdout');
    pipe(child.stderr, 'stderr');
    child.on('message', (m) => handlers.onMessage(m));
    // A V8 fatal error arrives with a diagnostic report; keep it with the output so the crash
    // reason can say "out of memory" instead of just an exit code.
    child.on('error', (type, location, report) => handlers.onOutput?.('stderr', `\n${type} at ${location}\n${report.slice(0, 4000)}\n`));
    let exited = false;
    child.on('exit', (code) => {
      if (exited) return;
      exited = true;
      handlers.onExit({ code, signal: null });
    });
    let pid: number | undefined;
    child.on('spawn', () => {
      pid = child.pid;
      if (opts.lowPriority ?? true) lowerPriority(pid);
    });
    const proc: WorkerProcess = {
      get pid() {
        return child.pid ?? pid;
      },
      send(msg) {
        if (!exited) child.postMessage(msg);
      },
      kill() {
        if (exited) return;
        const p = child.pid;
        // utilityProcess.kill() is a polite SIGTERM; a stuck native op needs SIGKILL.
        if (p !== undefined && process.platform !== 'win32') {
          try {
            process.kill(p, 'SIGKILL');
            return;
          } catch {
            // already gone: fall through
          }
        }
        child.kill();
      },
    };
    return proc;
  };
}

/** A WorkerHost whose engine runs in an Electron utilityProcess. */
export class UtilityProcessWorkerHost extends ProcessWorkerHost {
  constructor(fork: ForkUtility, opts: UtilityWorkerOptions, hostOptions: ProcessWorkerHostOptions = {}) {
    super(utilityProcessSpawner(fork, opts), hostOptions);
  }
}
