import type { ImageItem, StudioApi } from '../contract/api';
import type { StudioEvent } from '../contract/events';
import type { MediaService } from '../service/media';

/** What the server needs from the studio's core (a StudioService, adapted in cli/commands/serve). */
export interface ServerCore {
  api: StudioApi;
  events: { subscribe(listener: (event: StudioEvent) => void): () => void };
  /** Stores an uploaded photo in the library folder and adds it to the library. */
  addUpload(name: string, bytes: Buffer): Promise<ImageItem>;
  /** The studio's one admission check of image bytes (limits; see imaging admitImage). */
  admitImage(bytes: Uint8Array): Promise<{ width: number; height: number }>;
  /** Images for /media (a StudioService's own; else one over `api`). */
  media?: MediaService;
}
