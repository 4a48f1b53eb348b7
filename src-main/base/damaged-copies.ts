// Evidence of damage is never lost: every damaged state file is copied aside under a timestamped
// name before anything rewrites it, a copy with the same content is not made twice (a restart
// does not pile them up), and only the newest few are kept. `<file>.<tag>` is the newest one.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** How many timestamped damaged copies of one file are kept. */
export const DAMAGED_COPIES_KEPT = 5;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

/**
 * Keeps `content` (the damaged file as read) as `<file>.<tag>-<time>` unless an identical copy
 * exists, re-points `<file>.<tag>` at the newest copy and drops copies beyond the bound. Returns
 * the copy holding this content.
 */
export async function keepDamagedCopy(file: string, content: Buffer | string, tag = 'corrupt'): Promise<string> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.${tag}-`;
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix)).sort();
  const hash = sha(content);
  for (const n of names) {
    const p = path.join(dir, n);
    const same = await fs.readFile(p).then(
      (b) => sha(b) === hash,
      () => false,
    );
    if (same) return p;
  }
  let copy = path.join(dir, `${prefix}${stamp()}`);
  for (let k = 2; names.includes(path.basename(copy)); k++) copy = path.join(dir, `${prefix}${stamp()}-${k}`);
  await fs.writeFile(copy, content, { flag: 'wx' });
  const latest = `${file}.${tag}`;
  await fs.rm(latest, { force: true });
  await fs.link(copy, latest).catch(() => fs.copyFile(copy, latest));
  for (const old of [...names, path.basename(copy)].sort().slice(0, -DAMAGED_COPIES_KEPT)) {
    await fs.rm(path.join(dir, old), { force: true });
  }
  return copy;
}
