import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../imaging/atomic';

export { syncDir } from '../jobs/durable';

/**
 * Replace a small file so that a crash at any moment leaves either the old or the new content
 * (temp file, fsync, rename, fsync of the folder), creating its folder if needed.
 */
export async function writeFileDurable(file: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, data);
}
