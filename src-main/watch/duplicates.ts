import type { LedgerEntry } from './ledger';

/** Content already processed by this watch: hash -> the entry whose outputs stand for it. */
export class Duplicates {
  private readonly doneByHash = new Map<string, string>();

  /** From the journal at start: every done entry with a hash. */
  load(entries: readonly LedgerEntry[]): void {
    for (const e of entries) if (e.state === 'done' && e.hash) this.doneByHash.set(e.hash, e.rel);
  }

  markDone(hash: string | undefined, rel: string): void {
    if (hash) this.doneByHash.set(hash, rel);
  }

  /** Another entry that produced outputs for this content, if duplicates are skipped. */
  twinOf(hash: string | undefined, rel: string, skipDuplicates: boolean): string | undefined {
    if (!skipDuplicates || !hash) return undefined;
    const twin = this.doneByHash.get(hash);
    return twin !== undefined && twin !== rel ? twin : undefined;
  }
}
