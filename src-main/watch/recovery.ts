import { removeStaleTemps } from '../base/durable';
import type { WatchContext } from './context';
import type { Dispatch } from './dispatch';
import type { LedgerEntry } from './ledger';

/**
 * At start: entries the last run left queued or running follow their jobs (the queue kept them),
 * or go back in line when the queue does not know them; temp files of writes cut short go.
 */
export async function recover(w: WatchContext, dispatch: Dispatch): Promise<void> {
  const open = w.ledger.all().filter((e) => e.state === 'queued' || e.state === 'running');
  open.sort((a, b) => a.detectedAt - b.detectedAt);
  // A write cut short by the crash leaves its temp file beside the outputs: clear them.
  const dirs = new Set(open.filter((e) => e.jobId || e.state === 'running').map((e) => dispatch.requestFor(e).output?.dir ?? w.config.recipe.outDir));
  for (const d of dirs) await removeStaleTemps(d);
  for (const e of open) {
    // Listen for the job before asking about it, so no event falls between the two.
    if (e.jobId) dispatch.follow(e.jobId, e.rel);
    const job = e.jobId ? await w.deps.jobs.get(e.jobId).catch(() => undefined) : undefined;
    if (job) {
      await dispatch.applyJob(e.rel, job);
    } else {
      if (e.jobId) dispatch.unfollow(e.jobId);
      // Never reached the queue, or the queue forgot it: queue it again. The key is kept when
      // the job id was never recorded, so a queue that did get it returns the same job.
      const back: LedgerEntry = { ...e, state: 'queued', updatedAt: Date.now() };
      delete back.jobId;
      if (e.jobId) delete back.key;
      await w.ledger.put(back);
      dispatch.queueLater(e.rel);
    }
  }
}
