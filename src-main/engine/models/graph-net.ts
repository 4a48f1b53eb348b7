// A Graph as a NetSpec for the tiled net runner: compiled for tfjs on first use (once per
// backend), offered as a graph to runtimes that execute graphs themselves.
import { tf } from '../backend';
import type { Graph } from '../graph/ir';
import { peakActivationBytes } from '../graph/shapes';
import { compileGraph, type CompiledGraph } from '../graph/tfjs-exec';
import type { NetSpec } from '../pretrained/net-runner';

export interface GraphNetOptions {
  /** Native scale of the graph. */
  scale: number;
  load(): Promise<Graph>;
  /** Before the graph is read: a guess of its peak activation bytes per input pixel. */
  bytesPerPixel: number;
  overlap: number;
  margin: number;
  prepad?: number;
  tile?: number;
}

/** NetSpec of one graph; `release()` drops the compiled weights (they reload on next use). */
export function graphNetSpec(o: GraphNetOptions): NetSpec & { release(): void } {
  let graph: Promise<Graph> | undefined;
  let peak = o.bytesPerPixel;
  const compiled = new Map<string, Promise<CompiledGraph>>();
  const load = () => {
    graph ??= o.load().then((g) => {
      peak = peakActivationBytes(g);
      return g;
    });
    graph.catch(() => (graph = undefined));
    return graph;
  };
  return {
    scales: [o.scale],
    range: 1,
    overlap: o.overlap,
    margin: o.margin,
    ...(o.prepad ? { prepad: o.prepad } : {}),
    ...(o.tile ? { tile: o.tile } : {}),
    bytesPerPixel: () => peak,
    graph: () => load(),
    async net() {
      const key = tf.getBackend();
      let c = compiled.get(key);
      if (!c) {
        c = load().then(compileGraph);
        compiled.set(key, c);
        c.catch(() => compiled.delete(key));
      }
      const g = await c;
      const m = g.graph.sizeMultiple ?? 1;
      if (m === 1) return (x: tf.Tensor4D) => g.run(x);
      // Pixel-unshuffle nets need sides that divide: mirror the bottom/right edge, crop after.
      const s = g.graph.scale;
      return (x: tf.Tensor4D) => {
        const [, h, w] = x.shape;
        const ph = (m - (h % m)) % m;
        const pw = (m - (w % m)) % m;
        if (!ph && !pw) return g.run(x);
        const y = g.run(tf.mirrorPad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], 'symmetric'));
        return tf.slice(y, [0, 0, 0, 0], [1, h * s, w * s, y.shape[3]]);
      };
    },
    release() {
      for (const c of compiled.values()) void c.then((g) => g.dispose()).catch(() => undefined);
      compiled.clear();
      graph = undefined;
    },
  };
}
