import fs from 'node:fs/promises';

/** Make a rename or a new file's directory entry durable (a no-op where folders cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Windows cannot fsync a directory; NTFS journals the rename itself.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Whether a process id is alive (EPERM: alive but not ours), for stale locks and temp files. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
