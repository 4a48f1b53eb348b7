import type { ErrorPayload } from '../../../src-main/contract/errors';
import { plainTitle } from '../lib/errors';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  title: string;
  detail?: string;
  code?: string;
  action?: { label: string; run: () => void };
}

let next = 1;

/** How long a notice stays on screen; errors longer, and they stay in the notifications list. */
export const TOAST_MS = { info: 4500, success: 4500, error: 10_000 } as const;

/** A notice as the notifications list keeps it. */
export interface Notice extends Toast {
  at: number;
  read: boolean;
}

/** Transient notices in the corner; errors and warnings also go to the notifications list. */
class Toasts {
  items = $state<Toast[]>([]);
  /** Errors (newest first), kept after their toast has gone. */
  history = $state<Notice[]>([]);

  push(t: Omit<Toast, 'id'>, ttlMs: number = TOAST_MS[t.kind]): number {
    const id = next++;
    this.items = [...this.items.slice(-4), { ...t, id }];
    if (t.kind === 'error') this.history = [{ ...t, id, at: Date.now(), read: false }, ...this.history.slice(0, 49)];
    if (ttlMs > 0) setTimeout(() => this.dismiss(id), ttlMs);
    return id;
  }

  get unread(): number {
    return this.history.filter((n) => !n.read).length;
  }

  markRead(): void {
    if (this.unread > 0) this.history = this.history.map((n) => ({ ...n, read: true }));
  }

  clearHistory(): void {
    this.history = [];
  }

  error(err: ErrorPayload, context?: string): number {
    return this.push({ kind: 'error', title: context ? `${context}: ${plainTitle(err.code)}` : plainTitle(err.code), detail: err.message, code: err.code });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
