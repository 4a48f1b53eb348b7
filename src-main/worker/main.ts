// The engine process: runs enhance jobs for a host (the CLI, the server or Electron's main
// process) and answers its questions about models and backends. Started as a Node child
// process (child_process.fork) or an Electron utilityProcess; both are handled here.
import { toResult, StudioError } from '../contract/errors';
import type { HostMessage, WorkerMessage } from '../jobs/worker-protocol';
import { WorkerRunOptions } from '../jobs/worker-protocol';
import { answerQuery, loadDataFolderModels } from './queries';
import { runEnhance } from './enhance';
import { openModelStore } from './model-store';

interface Port {
  post(m: WorkerMessage): void;
  listen(cb: (m: HostMessage) => void): void;
}

interface ParentPort {
  on(event: 'message', cb: (e: { data: unknown }) => void): void;
  postMessage(m: unknown): void;
}

function connect(): Port {
  // Electron's utilityProcess exposes process.parentPort; a forked Node child has process.send.
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      post: (m) => parentPort.postMessage(m),
      listen: (cb) => parentPort.on('message', (e) => cb(e.data as HostMessage)),
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    process.on('disconnect', () => process.exit(0)); // the host is gone: nobody to work for
    return {
      post: (m) => {
        send(m);
      },
      listen: (cb) => process.on('message', (m) => cb(m as HostMessage)),
    };
  }
  throw new Error('the studio worker must be started by the studio (no IPC channel to a host)');
}

const port = connect();
const running = new Map<string, { ac: AbortController; done: Promise<void> }>();

async function run(m: Extract<HostMessage, { type: 'run' }>): Promise<void> {
  const ac = new AbortController();
  const done = (async () => {
    const result = await toResult(async () => {
      const options = WorkerRunOptions.parse(m.options);
      if (options.dataDir) await loadDataFolderModels(options.dataDir); // user:<name> methods trained or imported in this data folder
      const store = openModelStore(options, (message) => port.post({ type: 'log', level: 'warn', message }));
      return runEnhance(m.request, {
        signal: ac.signal,
        options,
        store,
        emit: (event) => port.post({ type: 'event', jobId: m.jobId, event }),
      });
    });
    if (!result.ok && ac.signal.aborted && result.error.code !== 'E_CANCELLED') {
      port.post({ type: 'result', jobId: m.jobId, result: { ok: false, error: new StudioError('E_CANCELLED', 'cancelled').toPayload() } });
    } else {
      port.post({ type: 'result', jobId: m.jobId, result });
    }
  })().finally(() => running.delete(m.jobId));
  running.set(m.jobId, { ac, done });
}

port.listen((m) => {
  switch (m.type) {
    case 'run':
      void run(m);
      return;
    case 'cancel':
      running.get(m.jobId)?.ac.abort();
      return;
    case 'query':
      void toResult(() => answerQuery(m.query, m.args)).then((result) => port.post({ type: 'reply', id: m.id, result }));
      return;
    case 'shutdown':
      for (const r of running.values()) r.ac.abort();
      void Promise.allSettled([...running.values()].map((r) => r.done)).then(() => process.exit(0));
      return;
  }
});

port.post({ type: 'ready', pid: process.pid });
