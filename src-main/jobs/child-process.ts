import { fork } from 'node:child_process';
import type { SpawnWorker, WorkerProcess } from './worker-host';

export interface ChildProcessWorkerOptions {
  /** The worker entry: the built out/main/worker.js (worker/entry's defaultWorkerEntry). */
  entry: string;
  /** Node flags for the child. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** V8 heap limit of the worker in MB (an OOM then kills only the worker). */
  maxOldSpaceMB?: number;
  /** Copy the worker's stdout/stderr to ours (debugging; STUDIO_DEBUG=1 does the same). */
  passthroughOutput?: boolean;
}

/** A SpawnWorker that forks a Node child process with an IPC channel. */
export function childProcessSpawner(opts: ChildProcessWorkerOptions): SpawnWorker {
  return (handlers) => {
    const execArgv = [...(opts.execArgv ?? [])];
    if (opts.maxOldSpaceMB) execArgv.push(`--max-old-space-size=${opts.maxOldSpaceMB}`);
    const child = fork(opts.entry, [], {
      execArgv,
      env: { ...(opts.env ?? process.env), STUDIO_WORKER: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const passthrough = opts.passthroughOutput ?? process.env.STUDIO_DEBUG === '1';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => {
      handlers.onOutput?.('stdout', t);
      if (passthrough) process.stderr.write(t);
    });
    child.stderr?.setEncoding('utf8').on('data', (t: string) => {
      handlers.onOutput?.('stderr', t);
      if (passthrough) process.stderr.write(t);
    });
    child.on('message', (m) => handlers.onMessage(m));
    let exited = false;
    const exit = (code: number | null, signal: string | null) => {
      if (exited) return;
      exited = true;
      handlers.onExit({ code, signal });
    };
    child.on('exit', (code, signal) => exit(code, signal));
    // fork() reports a failure to spawn as an 'error' event (and sometimes no 'exit').
    child.on('error', (err) => {
      handlers.onOutput?.('stderr', `\n${err.message}\n`);
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) exit(1, null);
    });
    const proc: WorkerProcess = {
      get pid() {
        return child.pid;
      },
      send(msg) {
        if (child.connected) child.send(msg);
      },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
    return proc;
  };
}
