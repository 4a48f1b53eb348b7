import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ImageItem, type StudioApi } from '../contract/api';
import { StudioError, toErrorPayload } from '../contract/errors';
import type { StudioEvent } from '../contract/events';
import { Serial, writeFileAtomic } from '../base/durable';
import { imageTypeByFormat, imageTypeOf, IMAGE_EXTENSIONS } from '../base/image-types';
import { JsonStore, salvageList } from '../base/json-store';
import { isInside } from '../base/paths';
import { admitImage, type ImageLimits, type ImageMeta } from '../imaging';

const LibraryFile = z.object({ version: z.literal(1), items: z.array(ImageItem) });
type LibraryFile = z.infer<typeof LibraryFile>;

export interface LibraryDeps {
  /** library.json */
  indexFile: string;
  /** Folder for uploaded / pasted photos. */
  folder: string;
  limits: ImageLimits & { maxUploadMB: number };
  emit(e: StudioEvent): void;
}

/** `My Photo (1).JPG` -> `My Photo (1).JPG`; path separators and control characters removed. */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  const clean = base.replace(/[\u0000-\u001f<>:"/\\|?*]+/g, '_').replace(/^\.+/, '').trim().slice(0, 150);
  return clean || 'image';
}

/**
 * The photos the user works on. Originals added by path stay where they are (never copied or
 * modified); uploads are stored in the library folder. Persisted in library.json.
 */
export class Library {
  private items: ImageItem[] = [];
  /** The same items by id (media requests look photos up per request). */
  private byId = new Map<string, ImageItem>();
  private byPath = new Map<string, string>();
  private readonly serial = new Serial();
  private readonly store: JsonStore<LibraryFile>;
  problem: string | undefined;

  private constructor(private readonly deps: LibraryDeps) {
    this.store = new JsonStore({
      file: deps.indexFile,
      schema: LibraryFile,
      salvage: salvageList('items', ImageItem, (items) => ({ version: 1 as const, items })),
    });
  }

  static async open(deps: LibraryDeps): Promise<Library> {
    const lib = new Library(deps);
    const r = await lib.store.load();
    lib.setItems(r.value?.items ?? []);
    lib.problem = r.problem;
    return lib;
  }

  private setItems(items: ImageItem[]): void {
    this.items = items;
    this.byId = new Map(items.map((i) => [i.id, i]));
    this.byPath = new Map(items.map((i) => [path.resolve(i.path), i.id]));
  }

  /** The id of the library photo at `file`, if it is one. */
  idOfPath(file: string): string | undefined {
    return this.byPath.get(path.resolve(file));
  }

  list(): ImageItem[] {
    return this.items.map((i) => ({ ...i }));
  }

  get(id: string): ImageItem | undefined {
    const i = this.byId.get(id);
    return i ? { ...i } : undefined;
  }

  /**
   * Adds photos (folders: the images directly inside). Unreadable files are skipped when some
   * others were added; when none could be, the first file's coded error is thrown.
   */
  async addPaths(paths: string[]): Promise<ImageItem[]> {
    const files: string[] = [];
    for (const p of paths) files.push(...(await expand(path.resolve(p))));
    const added: ImageItem[] = [];
    let firstError: unknown;
    for (const file of files) {
      try {
        const meta = await admitImage(file, this.deps.limits);
        added.push(itemOf(idForPath(file), path.basename(file), file, meta));
      } catch (err) {
        firstError ??= err;
      }
    }
    if (!added.length) {
      if (firstError) throw firstError;
      throw new StudioError('E_FILE_NOT_FOUND', `no images found in ${paths.join(', ')}`);
    }
    await this.commit((items) => {
      for (const a of added) {
        const i = items.findIndex((x) => x.id === a.id);
        if (i >= 0) items[i] = a;
        else items.push(a);
      }
    });
    return added;
  }

  /** Stores uploaded bytes in the library folder (checked to be an image first) and adds them. */
  async addBuffer(name: string, bytes: Uint8Array): Promise<ImageItem> {
    const { maxUploadMB } = this.deps.limits;
    if (bytes.byteLength > maxUploadMB * 2 ** 20) {
      throw new StudioError('E_PAYLOAD_TOO_LARGE', `upload is ${(bytes.byteLength / 2 ** 20).toFixed(1)} MB, above the ${maxUploadMB} MB limit`, {
        bytes: bytes.byteLength,
        limitMB: maxUploadMB,
      });
    }
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let meta: ImageMeta;
    try {
      meta = await admitImage(buf, this.deps.limits);
    } catch (err) {
      const p = toErrorPayload(err);
      throw new StudioError(p.code, `${safeFileName(name)}: ${p.message}`, p.details);
    }
    const id = `u-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const clean = safeFileName(name);
    const ext = path.extname(clean).toLowerCase();
    const stem = path.basename(clean, path.extname(clean));
    // The stored name's extension follows the content, so a mislabelled upload stays readable.
    // Each upload has a folder named by its id, so the file keeps the photo's own name: outputs
    // and deliverables are named after it (`charlie_web.jpg`), never after an internal id.
    const fileName = `${stem}${imageTypeOf(ext)?.format === meta.format ? ext : imageTypeByFormat(meta.format).extensions[0]}`;
    const file = path.join(this.deps.folder, id, fileName);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, buf);
    const item = itemOf(id, clean, file, meta);
    await this.commit((items) => items.push(item));
    return item;
  }

  /** Removes an item; a stored upload is deleted, an original elsewhere never is. */
  async remove(id: string): Promise<boolean> {
    const item = this.byId.get(id);
    if (!item) return false;
    await this.commit((items) => items.splice(items.findIndex((x) => x.id === id), 1));
    if (isInside(item.path, this.deps.folder)) {
      await fs.rm(item.path, { force: true });
      // An upload's own folder goes with it (older uploads lie in the library folder itself).
      const own = path.dirname(item.path);
      if (path.basename(own) === id && isInside(own, this.deps.folder)) await fs.rm(own, { recursive: true, force: true });
    }
    return true;
  }

  private commit(change: (items: ImageItem[]) => void): Promise<void> {
    return this.serial.run(async () => {
      const next = this.items.map((i) => ({ ...i }));
      change(next);
      await this.store.save({ version: 1, items: next });
      this.setItems(next);
      this.deps.emit({ topic: 'library', items: this.list() });
    });
  }
}

function idForPath(file: string): string {
  return createHash('sha256').update(file).digest('hex').slice(0, 16);
}

function itemOf(id: string, name: string, file: string, meta: ImageMeta): ImageItem {
  return {
    id,
    name,
    path: file,
    width: meta.width,
    height: meta.height,
    format: meta.format,
    bytes: meta.bytes,
    addedAt: Date.now(),
    hasAlpha: meta.hasAlpha,
    bitDepth: meta.bitDepth,
  };
}

/** A file as itself; a folder as the images directly inside it (sorted). */
async function expand(p: string): Promise<string[]> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st?.isDirectory()) return [p];
  const names = (await fs.readdir(p)).sort();
  return names.filter((n) => !n.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).map((n) => path.join(p, n));
}

export function createLibraryApi(deps: { library: Library }): Pick<StudioApi, 'library.list' | 'library.addPaths' | 'library.remove'> {
  return {
    'library.list': async () => deps.library.list(),
    'library.addPaths': (paths) => deps.library.addPaths(paths),
    'library.remove': (id) => deps.library.remove(id),
  };
}
