import path from 'node:path';
import { acquirePidLock, type PidLock } from '../base/lock';

// One process at a time works on a watch's journal (the desktop app and a `studio watch` may
// share a data folder): base/lock's pid lock, beside the journal.

export type WatchLock = PidLock;

export function acquireLock(dir: string): Promise<WatchLock> {
  const file = path.join(dir, 'lock');
  return acquirePidLock(file, {
    busy: (pid) => `this watch is already running in process ${pid}; stop it first (or delete ${file} if that process is not a studio)`,
    heldHere: () => `this watch is already running in this process`,
  });
}
