import { EVENT_CHANNEL } from '../contract/bridge';

/** Where main pushes events: a window's webContents (skipped once it is destroyed). */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/** Forwards every event of a source to the renderer on the one event channel. */
export function forwardEvents<E>(subscribe: (listener: (event: E) => void) => () => void, target: () => EventTarget | undefined): () => void {
  return subscribe((event) => {
    const t = target();
    if (t && !t.isDestroyed()) t.send(EVENT_CHANNEL, event);
  });
}
