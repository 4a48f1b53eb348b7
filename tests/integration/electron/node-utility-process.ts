// An Electron-utilityProcess look-alike made from a Node child process, for running the real
// UtilityProcessWorkerHost where the Electron binary is not installed: same events (spawn,
// message, exit(code), error), postMessage/kill/pid/stdout/stderr, and process.parentPort on the
// child's side (fixtures/parent-port-shim.mjs).
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ForkUtility, UtilityProcessLike } from '../../../src-main/app/utility-worker-host';
import { tsxExecArgv } from '../../tsx';

const shim = pathToFileURL(path.join(__dirname, 'fixtures', 'parent-port-shim.mjs')).href;

export const nodeUtilityFork: ForkUtility = (modulePath, args, options) => {
  const child = fork(modulePath, args, {
    execArgv: [...tsxExecArgv(), '--import', shim, ...(options.execArgv ?? [])],
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const proc = new EventEmitter() as EventEmitter & UtilityProcessLike;
  child.on('spawn', () => proc.emit('spawn'));
  child.on('message', (m) => proc.emit('message', m));
  // utilityProcess reports an exit code only (no signal).
  child.on('exit', (code) => proc.emit('exit', code ?? 1));
  Object.defineProperties(proc, {
    pid: { get: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined) },
    stdout: { value: child.stdout },
    stderr: { value: child.stderr },
  });
  proc.postMessage = (m: unknown) => {
    if (child.connected) child.send(m as Parameters<typeof child.send>[0]);
  };
  proc.kill = () => child.kill('SIGTERM');
  return proc;
};
