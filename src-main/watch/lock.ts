import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import { processAlive } from '../jobs/durable';

// One process at a time works on a watch's journal (the desktop app and a `studio watch` may
// share a data folder). The lock holds the owner's pid; a lock whose process is gone (kill -9,
// power loss) is taken over. A lock holding our own pid is stale too: a container restarts
// its app under the same pid.

function alive(pid: number): boolean {
  return pid !== process.pid && processAlive(pid);
}

export interface WatchLock {
  release(): Promise<void>;
}

export async function acquireLock(dir: string): Promise<WatchLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx' });
      return {
        async release() {
          const cur = await fs.readFile(file, 'utf8').catch(() => '');
          if (cur === mine) await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(await fs.readFile(file, 'utf8')) as typeof holder;
    } catch {
      // Unreadable or half-written lock: treat as stale.
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : 0;
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (pid > 0 && sameHost && alive(pid)) {
      throw new StudioError('E_LOCKED', `this watch is already running in process ${pid}; stop it first (or delete ${file} if that process is not a studio)`, { pid, lock: file });
    }
    await fs.rm(file, { force: true });
  }
  throw new StudioError('E_INTERNAL', `could not take the watch lock ${file}`);
}
