// The one media service behind both front doors that show images (the HTTP /media route and the
// desktop's studio-media:// protocol): looks a library photo or a job output up, checks it may
// be shown, and answers either the file as it is (what a browser shows natively, or a download)
// or an upright 8-bit rendition made by imaging/, cached by file identity and size asked.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { isWithinRoots } from '../base/paths';
import type { ImageItem, StudioApi } from '../contract/api';
import type { MediaKind } from '../contract/bridge';
import { StudioError, toErrorPayload } from '../contract/errors';
import type { JobInfo } from '../contract/jobs';
import { passthroughType, renderForScreen, type ScreenImage } from '../imaging/screen';
import { sniffFormat } from '../imaging/sniff';
import { imageTypeByFormat } from '../base/image-types';

/**
 * Whether a file sent as it is still holds the image type its name says: a photo replaced on
 * disk (e.g. by a hard link to a private file under the photo's name) is not served.
 */
async function holdsImageOfType(file: string, mime: string): Promise<boolean> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const format = sniffFormat(head.subarray(0, bytesRead));
    return format !== undefined && imageTypeByFormat(format).mime === mime;
  } finally {
    await fh.close();
  }
}

export interface MediaRequest {
  kind: MediaKind;
  id: string;
  /** Longest side asked for; absent = the file at its own size. */
  w?: number;
  /** The n-th output of a job. */
  i: number;
  /** The output exactly as written, as a download. */
  download?: boolean;
}

export type MediaAnswer =
  | { kind: 'file'; file: string; size: number; type: string; etag: string }
  | { kind: 'bytes'; body: Buffer; type: string; etag: string };

export interface MediaSource {
  /** A library photo by id (undefined when unknown). */
  image(id: string): Promise<ImageItem | undefined> | ImageItem | undefined;
  /** A job by id (E_NOT_FOUND when unknown). */
  job(id: string): Promise<JobInfo> | JobInfo;
  /** Folders whose files may be shown besides exact library originals (outputs, cache, library folder). */
  roots(): readonly string[];
}

/** A MediaSource over any StudioApi (front doors handed an API only; the service passes a direct one). */
export function mediaSourceOf(api: Pick<StudioApi, 'library.list' | 'jobs.get'>, roots: () => readonly string[]): MediaSource {
  return {
    image: async (id) => (await api['library.list']()).find((x) => x.id === id),
    job: (id) => api['jobs.get'](id),
    roots,
  };
}

const CACHE_BYTES = 96 * 1024 * 1024;

export class MediaService {
  private readonly cache = new LRUCache<string, ScreenImage>({
    maxSize: CACHE_BYTES,
    // A rendition larger than a quarter of the cache is not kept (it would evict everything).
    maxEntrySize: CACHE_BYTES / 4,
    sizeCalculation: (v) => Math.max(1, v.body.length),
  });

  constructor(private readonly source: MediaSource) {}

  /**
   * The file a request names, if it may be shown: an original only exactly as registered; an
   * output only from the studio's folders or the folder its job was asked to write to (a job
   * record pointing elsewhere, e.g. a tampered journal, is refused).
   */
  async resolve(req: MediaRequest): Promise<string> {
    let file: string | undefined;
    let allowed: boolean;
    if (req.kind === 'output') {
      const job = await this.source.job(req.id);
      file = job.outputs[req.i];
      if (!file) throw new StudioError('E_NOT_FOUND', `job ${req.id} has no output #${req.i}`, { jobId: req.id });
      const dir = job.request.output?.dir;
      allowed = isWithinRoots(file, dir ? [...this.source.roots(), dir] : this.source.roots());
    } else {
      // Originals stay where the user keeps them: the library is their allow-list, exactly the
      // registered file, nothing next to it.
      const item = await this.source.image(req.id);
      if (!item) throw new StudioError('E_NOT_FOUND', `no image with id '${req.id}' in the library`, { id: req.id });
      file = item.path;
      allowed = path.isAbsolute(file) && !file.includes('\0');
    }
    if (!allowed) throw new StudioError('E_PATH_NOT_ALLOWED', `'${path.basename(file)}' is not in a folder the studio may show`);
    return file;
  }

  /** What to send for a request. `allow` is the front door's own check of the file (the HTTP path guard). */
  async get(req: MediaRequest, allow?: (file: string) => void): Promise<MediaAnswer> {
    const file = await this.resolve(req);
    allow?.(file);
    const st = await stat(file).catch(() => {
      throw new StudioError('E_FILE_NOT_FOUND', `the file of '${req.id}' is gone from disk`, { id: req.id });
    });
    const download = req.kind === 'output' && req.download === true;
    const key = `${file}|${st.size}|${st.mtimeMs}|${req.kind}|${req.w ?? 0}|${download ? 'dl' : ''}`;
    const etag = `"${createHash('sha1').update(key).digest('base64url')}"`;
    if (download) return { kind: 'file', file, size: st.size, type: 'application/octet-stream', etag };
    const passType = passthroughType(file);
    if (req.w === undefined && passType) {
      if (!(await holdsImageOfType(file, passType))) {
        throw new StudioError('E_UNSUPPORTED_FORMAT', `'${path.basename(file)}' is no longer the image that was imported (its content is not ${passType})`, { id: req.id });
      }
      return { kind: 'file', file, size: st.size, type: passType, etag };
    }
    let out = this.cache.get(key);
    if (!out) {
      try {
        out = await renderForScreen(file, req.w, req.kind === 'thumb');
      } catch (err) {
        const p = toErrorPayload(err);
        throw new StudioError(p.code === 'E_INTERNAL' ? 'E_UNSUPPORTED_FORMAT' : p.code, `cannot show '${path.basename(file)}': ${p.message}`);
      }
      this.cache.set(key, out);
    }
    return { kind: 'bytes', body: out.body, type: out.type, etag };
  }
}
