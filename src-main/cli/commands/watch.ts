// `studio watch <dir>`: a headless watched folder. Runs until Ctrl-C / SIGTERM, prints one line
// per photo, and resumes from its journal when started again with the same folder and recipe.
import path from 'node:path';
import { OutputFormat, QualityPreset } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import { WatchSpec, type WatchInfo } from '../../contract/watch';
import { openJournal } from '../../jobs/journal';
import { createStudioService } from '../../service';
import { dataPaths, resolveDataDir } from '../../service/data-dir';
import { shortHash, stableJson } from '../../watch/hash';
import { describeReport } from '../../watch/manager';
import { parseChoice, parseCommandLine, parseNumber, usageError, queueHelp, takeQueue } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio watch <dir> --method M --scale S --out DIR [options]

Watch a folder and enhance every photo that lands in it, exactly once. Runs until Ctrl-C
(or SIGTERM) and prints one line per photo. Started again with the same folder and recipe,
it resumes where it stopped: photos that arrived meanwhile are processed, finished ones are
not redone, the one that was running is run again.

Recipe:
  --method M             nearest | bilinear | bicubic | lanczos | a model id (studio models)
  --scale S              upscale factor, 1-16
  --out DIR              output root (sub-folders of <dir> are mirrored below it)
  --preset P             draft | balanced | max (learned methods)
  --detail PCT           learned methods: percent of the net's own detail kept, 0-100
  --export-preset NAME   export preset id; repeat for several deliverables per photo
  --format F             jpeg | png | webp | avif | tiff (default: same as the photo)
  --quality Q            1-100

Options:
  --recursive            watch sub-folders too
  --existing             also process photos already in <dir> when the watch is first
                         started (default: only new ones)
  --include GLOB         files to take, relative to <dir> (repeatable; default: image types)
  --exclude GLOB         files or folders to leave alone (repeatable)
  --concurrency N        photos processed at once (default 1)
  --stable-ms MS         a file counts as completely written when its size has not changed
                         for this long (default 1000)
  --no-skip-duplicates   process a photo even when the same content was done before
${queueHelp(25)}
  --data-dir DIR         studio data folder (global option; the watch's journal lives in
                         <data dir>/watch/)

Hidden and temporary files (.part, .crdownload, ~$..., .DS_Store) are never taken. Failed
photos are listed with their error code; the watch goes on.`;

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      method: { type: 'string' },
      scale: { type: 'string' },
      out: { type: 'string' },
      preset: { type: 'string' },
      detail: { type: 'string' },
      'export-preset': { type: 'string', multiple: true },
      format: { type: 'string' },
      quality: { type: 'string' },
      recursive: { type: 'boolean', default: false },
      existing: { type: 'boolean', default: false },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      'stable-ms': { type: 'string' },
      'no-skip-duplicates': { type: 'boolean', default: false },
    },
    HELP,
  );
  if (positionals.length !== 1) throw usageError('give exactly one folder to watch', HELP);
  if (!values.method) throw usageError('--method is required', HELP);
  if (!values.scale) throw usageError('--scale is required', HELP);
  if (!values.out) throw usageError('--out is required', HELP);
  const preset = parseChoice('preset', values.preset, QualityPreset.options, HELP);
  const format = parseChoice('format', values.format, OutputFormat.options, HELP);
  const quality = parseNumber('quality', values.quality, { min: 1, max: 100, integer: true }, HELP);
  const concurrency = parseNumber('concurrency', values.concurrency, { min: 1, max: 8, integer: true }, HELP);
  const stableMs = parseNumber('stable-ms', values['stable-ms'], { min: 50, max: 600_000, integer: true }, HELP);
  const spec = WatchSpec.safeParse({
    source: path.resolve(positionals[0]),
    recipe: {
      method: values.method,
      scale: parseNumber('scale', values.scale, { min: 1, max: 16 }, HELP),
      outDir: path.resolve(values.out),
      ...(preset ? { preset } : {}),
      ...(values.detail !== undefined ? { detail: parseNumber('detail', values.detail, { min: 0, max: 100 }, HELP) } : {}),
      ...(values['export-preset']?.length ? { exportPresets: values['export-preset'] } : {}),
      ...(format ? { format } : {}),
      ...(quality !== undefined ? { quality } : {}),
    },
    options: {
      recursive: values.recursive,
      existing: values.existing,
      skipDuplicates: !values['no-skip-duplicates'],
      ...(values.include?.length ? { include: values.include } : {}),
      ...(values.exclude?.length ? { exclude: values.exclude } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(stableMs !== undefined ? { stableMs } : {}),
    },
  });
  if (!spec.success) throw usageError(spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), HELP);
  return { spec: spec.data, dataDir: resolveDataDir() };
}

function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

function summary(w: WatchInfo): string {
  const c = w.counts;
  return `${c.done} done, ${c.failed} failed, ${c.skipped} skipped, ${c.queued + c.running} waiting`;
}

export const command: Command = {
  summary: 'watch a folder and enhance every photo dropped into it (headless, resumable)',
  help: HELP,
  async run(rawArgv) {
    const { argv, queue } = takeQueue(rawArgv);
    const { spec, dataDir } = parse(argv);
    const recipe = spec.recipe;
    // Same folder + recipe = same watch: a rerun resumes its journal.
    const id = `cli-${shortHash(`${spec.source}\n${stableJson(recipe)}`, 12)}`;
    const paths = dataPaths(dataDir);
    const concurrency = spec.options?.concurrency ?? 1;

    // The studio's own engine for this watch (limits, cache size and presets as everywhere),
    // with its job journal beside the watch journal, so it can run next to the desktop studio
    // on the same data folder. The app's saved watches are left to the app.
    const service = await createStudioService({
      ...(queue ? { queue } : {}),
      dataDir,
      jobStore: await openJournal(path.join(paths.watch, id, 'jobs.jsonl'), { onWarning: (m) => console.error(`${stamp()} ${m}`) }),
      concurrency,
      settingsDefaults: false,
      onWarning: (m) => console.error(`${stamp()} ${m}`),
      watch: { autostart: false, forgetFinished: true, onFile: (r) => console.log(`${stamp()} ${describeReport(r)}`) },
    });
    service.workers.onLifecycle((e) => {
      if (e.type === 'crash') console.error(`${stamp()} engine process ${e.pid ?? '?'} stopped: ${e.reason}`);
    });
    service.events.subscribe((e) => {
      if (e.topic === 'watch' && !/^(done|failed|skipped) /.test(e.message)) console.log(`${stamp()} ${e.message}`);
    });
    const watches = service.watches;

    let closing: Promise<void> | undefined;
    // Running jobs stay 'running' in the journal: rerun next time.
    const shutdown = () => (closing ??= service.dispose());

    try {
      // Fail fast on a method the engine does not know (instead of one failure per photo).
      const models = await service['models.list']();
      const model = models.find((m) => m.id === recipe.method);
      if (!model) {
        throw new StudioError('E_MODEL_NOT_FOUND', `unknown method '${recipe.method}'; available: ${models.map((m) => m.id).join(', ')}`);
      }
      const w = await watches.add(spec, { persist: false, id });
      const c = w.counts;
      console.log(
        `${stamp()} watching ${w.source}${w.options.recursive ? ' (with sub-folders)' : ''} (${recipe.method} x${recipe.scale}) -> ${recipe.outDir}` +
          (c.total ? `; journal: ${summary(w)}` : ''),
      );
      if (w.state === 'waiting' && w.reason) console.log(`${stamp()} ${w.reason.message}`);
    } catch (err) {
      await shutdown();
      throw err;
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    // A second Ctrl-C while stopping quits at once (the journal is consistent at every moment).
    process.once('SIGINT', () => process.exit(130));
    const last = watches.list()[0];
    console.log(`${stamp()} ${signal}: stopping (${last ? summary(last) : 'nothing done'})`);
    await shutdown();
    return 0;
  },
};
