import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import {
  DEFAULT_WATCH_OPTIONS,
  type WatchConfig,
  type WatchFilesPage,
  type WatchFilesQuery,
  type WatchInfo,
  WatchSpec,
} from '../contract/watch';
import { shortHash, stableJson } from './hash';
import type { WatchJobPort } from './job-port';
import { isInsideOrSame, normDir } from '../base/paths';
import { type WatchFileReport, WatchRunner } from './runner';
import { WatchStore } from './store';

export interface WatchManagerDeps {
  dataDir: string;
  jobs: WatchJobPort;
  /** Watch-level news and per-file outcomes, as text for the 'watch' event topic. */
  onEvent?: (watchId: string, message: string) => void;
  onFile?: (r: WatchFileReport) => void;
  onError?: (watchId: string, err: unknown) => void;
  presenceMs?: number;
  rescanMs?: number;
}

export interface AddOptions {
  /** Keep it in watches.json so it starts with the studio (default true; the CLI's are not). */
  persist?: boolean;
  /** Fixed id (the CLI derives one from folder + recipe so a rerun resumes the same journal). */
  id?: string;
}

/** All watched folders of a studio: persisted configs, one runner each, loop-free outputs. */
export class WatchManager {
  private readonly store: WatchStore;
  private readonly runners = new Map<string, WatchRunner>();
  private readonly persisted = new Set<string>();
  private started = false;
  /** Set when watches.json could not be read: the file is kept aside and shown here. */
  loadError: string | undefined;

  constructor(private readonly deps: WatchManagerDeps) {
    this.store = new WatchStore(deps.dataDir);
  }

  /** Starts every saved watch. A watch that cannot start is listed as stopped, the rest go on. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    let configs: WatchConfig[] = [];
    try {
      configs = await this.store.load();
      // Some watches could not be read: the others run, the damaged file is kept aside (the store).
      if (this.store.problem) {
        this.loadError = this.store.problem;
        this.deps.onError?.('', new StudioError('E_CONFIG_INVALID', this.store.problem));
      }
    } catch (err) {
      // Nothing could be read: start without watches; the store kept the damaged file.
      this.loadError = (err as Error).message;
      this.deps.onError?.('', err);
    }
    for (const c of configs) {
      const r = this.makeRunner(c);
      this.runners.set(c.id, r);
      this.persisted.add(c.id);
    }
    for (const r of this.runners.values()) {
      await r.start().catch((err) => this.deps.onError?.(r.id, err));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }

  list(): WatchInfo[] {
    return [...this.runners.values()].map((r) => r.info());
  }

  get(id: string): WatchRunner {
    const r = this.runners.get(id);
    if (!r) throw new StudioError('E_NOT_FOUND', `no watch with id '${id}'`, { id });
    return r;
  }

  async add(specIn: WatchSpec, opts: AddOptions = {}): Promise<WatchInfo> {
    const spec = WatchSpec.parse(specIn);
    const config = this.configFrom(spec, opts.id);
    const existing = this.runners.get(config.id);
    if (existing) {
      // Same folder and recipe again (a CLI rerun): resume that watch with the new options.
      if (existing.info().state === 'stopped') {
        existing.config = { ...existing.config, options: config.options };
        await existing.start();
      }
      return existing.info();
    }
    this.checkLoops(config);
    const r = this.makeRunner(config);
    await r.start();
    this.runners.set(config.id, r);
    if (opts.persist !== false) {
      this.persisted.add(config.id);
      await this.save();
    }
    return r.info();
  }

  async remove(id: string): Promise<boolean> {
    const r = this.runners.get(id);
    if (!r) return false;
    await r.stop();
    this.runners.delete(id);
    if (this.persisted.delete(id)) await this.save();
    // Its journal goes with it; outputs stay where they are.
    await fs.rm(this.stateDir(id), { recursive: true, force: true });
    return true;
  }

  async pause(id: string): Promise<WatchInfo> {
    const r = this.get(id);
    await r.pause();
    if (this.persisted.has(id)) await this.save();
    return r.info();
  }

  async resume(id: string): Promise<WatchInfo> {
    const r = this.get(id);
    await r.resume();
    if (this.persisted.has(id)) await this.save();
    return r.info();
  }

  files(id: string, q?: WatchFilesQuery): WatchFilesPage {
    return this.get(id).files(q);
  }

  /** Where a watch keeps its journal. */
  stateDir(id: string): string {
    return path.join(this.deps.dataDir, 'watch', id);
  }

  // ---- internals ------------------------------------------------------------------------

  private configFrom(spec: WatchSpec, id?: string): WatchConfig {
    if (!path.isAbsolute(spec.source)) throw new StudioError('E_INVALID_ARGUMENT', `the watched folder must be an absolute path: ${spec.source}`);
    if (!path.isAbsolute(spec.recipe.outDir)) throw new StudioError('E_INVALID_ARGUMENT', `the output folder must be an absolute path: ${spec.recipe.outDir}`);
    const source = normDir(spec.source);
    const recipe = { ...spec.recipe, outDir: normDir(spec.recipe.outDir) };
    const options = { ...DEFAULT_WATCH_OPTIONS, ...spec.options };
    const wid = id ?? `w-${shortHash(`${source}\n${stableJson(recipe)}\n${Date.now()}\n${Math.random()}`, 12)}`;
    if (!/^[a-z0-9][a-z0-9._-]{0,100}$/i.test(wid)) throw new StudioError('E_INVALID_ARGUMENT', `bad watch id '${wid}'`);
    return {
      id: wid,
      name: spec.name ?? path.basename(source),
      source,
      recipe,
      options,
      createdAt: Date.now(),
      paused: false,
    };
  }

  /**
   * Outputs must never feed a watch. An output folder inside a watched tree is excluded from
   * it automatically; an output folder that *is* a watched folder cannot be, so it is refused,
   * as is a recursive watch whose output tree (mirroring sub-folders) contains its own source.
   */
  private checkLoops(c: WatchConfig): void {
    const all = [...[...this.runners.values()].map((r) => r.config), c];
    for (const a of all) {
      for (const b of all) {
        if (a.recipe.outDir === b.source) {
          throw new StudioError(
            'E_CONFIG_INVALID',
            a === b
              ? `the output folder cannot be the watched folder itself (${b.source}): outputs would be processed again; use a sub-folder or another folder`
              : `the output folder ${a.recipe.outDir} is the folder of watch '${b.name}': its outputs would be processed again`,
            { outDir: a.recipe.outDir, source: b.source },
          );
        }
      }
    }
    if (c.options.recursive && isInsideOrSame(c.source, c.recipe.outDir)) {
      throw new StudioError('E_CONFIG_INVALID', `the output folder ${c.recipe.outDir} contains the watched folder ${c.source}: with sub-folders mirrored, outputs could land in it`, {
        outDir: c.recipe.outDir,
        source: c.source,
      });
    }
  }

  /** Output roots (and the studio's own data) inside a source folder: never looked into. */
  private excludedFor(source: string): string[] {
    const dirs = [...this.runners.values()].map((r) => r.config.recipe.outDir);
    dirs.push(normDir(this.deps.dataDir));
    return dirs.filter((d) => d !== source && isInsideOrSame(d, source));
  }

  private makeRunner(config: WatchConfig): WatchRunner {
    return new WatchRunner(config, {
      jobs: this.deps.jobs,
      stateDir: this.stateDir(config.id),
      excludedDirs: () => [...this.excludedFor(config.source), ...(isInsideOrSame(config.recipe.outDir, config.source) ? [config.recipe.outDir] : [])],
      onFile: (rep) => {
        this.deps.onFile?.(rep);
        this.deps.onEvent?.(rep.watchId, describeReport(rep));
      },
      onStatus: (wid, message) => this.deps.onEvent?.(wid, message),
      onError: (wid, err) => this.deps.onError?.(wid, err),
      ...(this.deps.presenceMs ? { presenceMs: this.deps.presenceMs } : {}),
      ...(this.deps.rescanMs ? { rescanMs: this.deps.rescanMs } : {}),
    });
  }

  private save(): Promise<void> {
    const configs = [...this.runners.values()].filter((r) => this.persisted.has(r.id)).map((r) => r.config);
    return this.store.save(configs);
  }
}

/** One line per file, as the CLI prints and the UI's activity feed shows it. */
export function describeReport(r: WatchFileReport): string {
  const secs = r.ms !== undefined ? ` (${(r.ms / 1000).toFixed(1)} s)` : '';
  if (r.state === 'done') return `done     ${r.rel} -> ${r.outputs.join(', ') || '(no output)'}${secs}`;
  if (r.state === 'failed') return `failed   ${r.rel}: ${r.error?.code ?? 'E_INTERNAL'}: ${r.error?.message ?? ''}`;
  return `skipped  ${r.rel}${r.note ? ` (${r.note})` : ''}`;
}
