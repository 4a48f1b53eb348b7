// Putting finished files in place. A deliverable is written to a temporary file beside its
// destination, then hard-linked to the final name: link() never replaces an existing file, so
// two exports racing for one name cannot clobber each other and an original is never
// overwritten. File systems without hard links fall back to check-then-rename. An optional
// PlacementLog hears of every temporary file and every link before it happens, so a job that is
// killed half-way can find (and a redo remove) exactly what it put down.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeNewFileDurable } from '../base/durable';
import { isSameFile } from '../base/paths';
import { StudioError } from '../contract/errors';

function tempBeside(dir: string, base: string, ext: string): string {
  // Keep the real extension last: ExifTool decides the file type from it.
  return path.join(dir, `.${base.slice(0, 60)}.${randomBytes(5).toString('hex')}.tmp${ext}`);
}

const exists = (p: string) =>
  fs.access(p).then(
    () => true,
    () => false,
  );

export interface PlaceOptions {
  dir: string;
  base: string;
  /** With the dot, e.g. '.jpg'. */
  ext: string;
  /**
   * A taken name: the next free one (`photo-2`, `photo-3`: one rule for every file the studio
   * writes), nothing written, or (`replace`) the file replaced (never a protected one).
   */
  collision: 'suffix' | 'skip' | 'replace';
  /** Paths that must never be written (the original photo). */
  protect: string[];
  /** Told before a temporary file is made and before it is linked to a final name. */
  log?: PlacementLog;
}

/**
 * Where a job keeps track of the files it places (worker/output-ledger). `linking` must be
 * durable when it resolves: the link follows right after, and a crash in between must still
 * leave the file findable.
 */
export interface PlacementLog {
  /** `tmp` is about to be created (a random name beside the destination). */
  temp(tmp: string): Promise<void>;
  /** The finished `tmp` is about to get the name `target` (same inode after a link or rename). */
  linking(tmp: string, target: string): Promise<void>;
}

async function isProtected(o: PlaceOptions, target: string): Promise<boolean> {
  for (const p of o.protect) if (await isSameFile(p, target)) return true;
  return false;
}

function candidate(o: PlaceOptions, k: number): string {
  return path.join(o.dir, `${o.base}${k > 1 ? `-${k}` : ''}${o.ext}`);
}

/** Would this output be skipped (collision 'skip' and the name taken)? Checked before costly work. */
export async function wouldSkip(o: PlaceOptions): Promise<boolean> {
  if (o.collision !== 'skip') return false;
  const first = candidate(o, 1);
  return (await isProtected(o, first)) || (await exists(first));
}

/**
 * Writes a new file under a free name: fill(tempPath) produces the content, then it is linked
 * in. Returns the final path, or undefined when collision is 'skip' and the name is taken.
 */
export async function placeNewFile(o: PlaceOptions, fill: (tempPath: string) => Promise<void>): Promise<string | undefined> {
  await fs.mkdir(o.dir, { recursive: true });
  const tmp = tempBeside(o.dir, o.base, o.ext);
  try {
    await o.log?.temp(tmp);
    await fill(tmp);
    if (o.collision === 'replace') {
      const target = candidate(o, 1);
      if (await isProtected(o, target)) throw new StudioError('E_WOULD_OVERWRITE', `${path.basename(target)} is the original photo; it is never replaced`);
      await o.log?.linking(tmp, target);
      await fs.rename(tmp, target);
      return target;
    }
    for (let k = 1; k < 10_000; k++) {
      const target = candidate(o, k);
      // A name seen taken is passed over before the (durable) log entry; link() still has the
      // last word when another writer takes the name in between.
      const taken = (await isProtected(o, target)) || (await exists(target));
      if (!taken) {
        await o.log?.linking(tmp, target);
        try {
          await fs.link(tmp, target);
          return target;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EEXIST') {
            if (!(await exists(target))) {
              // No hard links here (FAT, some network shares): check, then rename.
              await fs.rename(tmp, target);
              return target;
            }
          }
        }
      }
      if (o.collision === 'skip') return undefined;
    }
    throw new Error(`no free file name for ${candidate(o, 1)}`);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Same, for in-memory content. */
export function placeNewBuffer(o: PlaceOptions, data: Buffer | string): Promise<string | undefined> {
  return placeNewFile(o, (tmp) => writeNewFileDurable(tmp, data));
}
