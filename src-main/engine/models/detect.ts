// Which net a state dict holds, from its tensor names and shapes (the way chaiNNer's model
// loader tells them apart), and that net as a Graph. Known: RRDBNet in the BasicSR / Real-ESRGAN
// layout (conv_first, body.N.rdbK.convJ) and in the original ESRGAN layout (model.0,
// model.1.sub.N.RDBK.convJ.0), any nf / nb / gc, x1/x2 (pixel-unshuffle input), x4, x8...;
// SRVGGNetCompact (body.N, PReLU) of any depth, width and scale.
import { StudioError } from '../../contract/errors';
import type { Graph } from '../graph/ir';
import { buildRrdb, type Conv, type RrdbWeights } from './rrdb';
import { buildSrvgg } from './srvgg';
import type { StateDict } from './state-dict';

export interface ArchInfo {
  arch: 'RRDBNet' | 'SRVGGNetCompact';
  /** Layout the weights were named in. */
  layout: string;
  scale: number;
  /** Size parameters (nf, nb, gc for RRDBNet; nf, convs for SRVGGNetCompact). */
  params: Record<string, number>;
}

function unsupported(sd: StateDict, why: string): StudioError {
  const keys = [...sd.keys()];
  return new StudioError('E_MODEL_UNSUPPORTED', `${why}; the file's first weights are ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}. Known architectures: RRDBNet (ESRGAN / Real-ESRGAN) and SRVGGNetCompact (Real-ESRGAN compact).`, {
    keys: keys.slice(0, 20),
  });
}

/** A conv's weight (+ bias) by key prefix; checked to be 4-d float. */
function convAt(sd: StateDict, prefix: string): Conv {
  const w = sd.get(`${prefix}.weight`);
  if (!w?.data || w.shape.length !== 4) throw unsupported(sd, `expected a convolution weight at ${prefix}.weight`);
  const b = sd.get(`${prefix}.bias`);
  if (b && (!b.data || b.shape.length !== 1 || b.shape[0] !== w.shape[0])) throw unsupported(sd, `bad bias at ${prefix}.bias`);
  return { weight: w.data, shape: w.shape as Conv['shape'], ...(b?.data ? { bias: b.data } : {}) };
}

const UNSHUFFLE: Record<number, number> = { 3: 1, 12: 2, 48: 4 };

function rrdb(sd: StateDict, layout: 'basicsr' | 'esrgan'): { graph: Graph; info: ArchInfo } {
  const isNew = layout === 'basicsr';
  const first = convAt(sd, isNew ? 'conv_first' : 'model.0');
  const nbRe = isNew ? /^body\.(\d+)\.rdb1\.conv1\.weight$/ : /^model\.1\.sub\.(\d+)\.RDB1\.conv1\.0\.weight$/;
  let nb = 0;
  for (const k of sd.keys()) {
    const m = nbRe.exec(k);
    if (m) nb = Math.max(nb, Number(m[1]) + 1);
  }
  const blocks = Array.from({ length: nb }, (_, b) =>
    [1, 2, 3].map((r) => [1, 2, 3, 4, 5].map((c) => convAt(sd, isNew ? `body.${b}.rdb${r}.conv${c}` : `model.1.sub.${b}.RDB${r}.conv${c}.0`))),
  );
  const body = convAt(sd, isNew ? 'conv_body' : `model.1.sub.${nb}`);
  let ups: Conv[];
  let hr: Conv;
  let last: Conv;
  if (isNew) {
    ups = [];
    for (let i = 1; sd.has(`conv_up${i}.weight`); i++) ups.push(convAt(sd, `conv_up${i}`));
    hr = convAt(sd, 'conv_hr');
    last = convAt(sd, 'conv_last');
  } else {
    // model.2 is the body's shortcut; after it: upsample + conv (+ lrelu) per x2, conv_hr, conv_last.
    const idx = [...new Set([...sd.keys()].map((k) => /^model\.(\d+)\.weight$/.exec(k)?.[1]).filter((v): v is string => !!v).map(Number))].filter((i) => i >= 2).sort((a, b) => a - b);
    if (idx.length < 2) throw unsupported(sd, 'an ESRGAN-layout RRDBNet without its output convolutions');
    ups = idx.slice(0, -2).map((i) => convAt(sd, `model.${i}`));
    hr = convAt(sd, `model.${idx[idx.length - 2]}`);
    last = convAt(sd, `model.${idx[idx.length - 1]}`);
  }
  const nf = first.shape[0];
  const gc = blocks[0]?.[0][0].shape[0] ?? 0;
  const unshuffle = UNSHUFFLE[first.shape[1]];
  if (!unshuffle) throw unsupported(sd, `an RRDBNet with ${first.shape[1]} input channels (only RGB models are supported)`);
  if (last.shape[0] !== 3) throw unsupported(sd, `an RRDBNet with ${last.shape[0]} output channels (only RGB models are supported)`);
  if (nb === 0) throw unsupported(sd, 'an RRDBNet without blocks');
  const w: RrdbWeights = { unshuffle, first, blocks, body, ups, hr, last };
  let graph: Graph;
  try {
    graph = buildRrdb(w, 'RRDBNet');
  } catch (err) {
    throw unsupported(sd, `an RRDBNet whose layers do not fit together (${(err as Error).message})`);
  }
  return { graph, info: { arch: 'RRDBNet', layout: isNew ? 'BasicSR / Real-ESRGAN (conv_first, body.N.rdbK)' : 'original ESRGAN (model.0, model.1.sub.N.RDBK)', scale: graph.scale, params: { nf, nb, gc } } };
}

function srvgg(sd: StateDict): { graph: Graph; info: ArchInfo } {
  const idx = [...new Set([...sd.keys()].map((k) => /^body\.(\d+)\.weight$/.exec(k)?.[1]).filter((v): v is string => !!v).map(Number))].sort((a, b) => a - b);
  const convs: Conv[] = [];
  const slopes: Float32Array[] = [];
  for (const i of idx) {
    const t = sd.get(`body.${i}.weight`)!;
    if (t.shape.length === 4) convs.push(convAt(sd, `body.${i}`));
    else if (t.shape.length === 1 && t.data) slopes.push(t.data);
    else throw unsupported(sd, `unexpected tensor body.${i}.weight`);
  }
  if (convs.length < 2 || slopes.length !== convs.length - 1) {
    throw unsupported(sd, 'a compact net (body.N) whose activations are not PReLU: the file does not say which activation it uses');
  }
  let graph: Graph;
  try {
    graph = buildSrvgg({ convs, slopes }, 'SRVGGNetCompact');
  } catch (err) {
    throw unsupported(sd, `a compact net whose layers do not fit together (${(err as Error).message})`);
  }
  return { graph, info: { arch: 'SRVGGNetCompact', layout: 'Real-ESRGAN (body.N)', scale: graph.scale, params: { nf: convs[0].shape[0], convs: convs.length - 2 } } };
}

/** The architecture of a state dict and its net as a Graph; E_MODEL_UNSUPPORTED when unknown. */
export function detectArch(sd: StateDict): { graph: Graph; info: ArchInfo } {
  if (sd.has('conv_first.weight') && sd.has('body.0.rdb1.conv1.weight')) return rrdb(sd, 'basicsr');
  if (sd.has('model.0.weight') && sd.has('model.1.sub.0.RDB1.conv1.0.weight')) return rrdb(sd, 'esrgan');
  if (sd.has('body.0.weight') && sd.has('body.1.weight') && sd.get('body.1.weight')?.shape.length === 1) return srvgg(sd);
  throw unsupported(sd, 'unknown architecture');
}
