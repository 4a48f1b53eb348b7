import type { StudioEvent } from '../contract/events';

/** Fan-out of StudioEvents to every front door (SSE clients, the Electron window, the CLI). */
export class EventBus {
  private readonly listeners = new Set<(e: StudioEvent) => void>();

  subscribe(listener: (e: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: StudioEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a front door's failure (closed socket...) must not reach the core
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
