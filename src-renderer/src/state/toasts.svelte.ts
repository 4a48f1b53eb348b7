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

/** Transient notices in the corner; errors stay until dismissed. */
class Toasts {
  items = $state<Toast[]>([]);

  push(t: Omit<Toast, 'id'>, ttlMs = t.kind === 'error' ? 0 : 4500): number {
    const id = next++;
    this.items = [...this.items.slice(-4), { ...t, id }];
    if (ttlMs > 0) setTimeout(() => this.dismiss(id), ttlMs);
    return id;
  }

  error(err: ErrorPayload, context?: string): number {
    return this.push({ kind: 'error', title: context ? `${context}: ${plainTitle(err.code)}` : plainTitle(err.code), detail: err.message, code: err.code });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
