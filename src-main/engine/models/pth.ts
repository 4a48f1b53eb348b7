// PyTorch checkpoints (.pth / .pt / .ckpt): the zip format of torch >= 1.6 (data.pkl + one file
// per storage) and the older single-stream format (pickles followed by raw storages). Read with
// the allow-listing unpickler: nothing in the file is ever executed.
import { StudioError } from '../../contract/errors';
import { DTYPE_BYTES, readFloats, type StoredDtype } from './numbers';
import { STORAGE_TYPES, unpickle, type PickledStorage, type PickledTensor } from './pickle';
import { unwrapStateDict, type NamedTensor, type StateDict } from './state-dict';
import { isZip, readZip } from './zip';

const FLOAT_STORAGE: Record<string, StoredDtype> = { FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64' };
const INT_BYTES: Record<string, number> = { LongStorage: 8, IntStorage: 4, ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1 };

function elementBytes(type: string): number {
  const f = FLOAT_STORAGE[type];
  return f ? DTYPE_BYTES[f] : INT_BYTES[type];
}

/** Persistent id ('storage', torch.XStorage, key, location, numel[, view]) -> storage record. */
function storageOf(pid: unknown): PickledStorage {
  if (!Array.isArray(pid) || pid[0] !== 'storage') throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: unknown persistent id');
  const t = pid[1] as { kind?: string; name?: string };
  const type = t?.kind === 'global' && typeof t.name === 'string' ? t.name.replace(/^torch\./, '') : '';
  if (!STORAGE_TYPES.includes(type)) throw new StudioError('E_MODEL_INVALID', `damaged checkpoint: unknown storage type ${String(t?.name)}`);
  const numel = Number(pid[4]);
  return { kind: 'storage', type, key: String(pid[2]), numel };
}

const isPickledTensor = (v: unknown): v is PickledTensor => typeof v === 'object' && v !== null && (v as PickledTensor).kind === 'tensor';

/** A tensor's values from its storage bytes (any strides, as views of a storage are written). */
function materialize(t: PickledTensor, storage: Uint8Array): NamedTensor {
  const dtype = FLOAT_STORAGE[t.storage.type];
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!dtype) return { shape: t.shape, dtype: t.storage.type.replace('Storage', '').toLowerCase() };
  const need = t.storage.numel * DTYPE_BYTES[dtype];
  if (storage.length < need) throw new StudioError('E_MODEL_INVALID', `damaged checkpoint: storage ${t.storage.key} has ${storage.length} bytes, needs ${need} (truncated?)`);
  const all = readFloats(storage, 0, t.storage.numel, dtype);
  const contiguous = t.shape.every((_, i) => t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1) || t.shape[i] === 1);
  if (contiguous) {
    if (t.offset + count > all.length) throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: tensor runs past its storage');
    return { shape: t.shape, dtype, data: all.slice(t.offset, t.offset + count) };
  }
  const data = new Float32Array(count);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < count; k++) {
    let src = t.offset;
    for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
    if (src >= all.length) throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: tensor runs past its storage');
    data[k] = all[src];
    for (let d = idx.length - 1; d >= 0 && ++idx[d] === t.shape[d]; d--) idx[d] = 0;
  }
  return { shape: t.shape, dtype, data };
}

function fromZip(bytes: Uint8Array): StateDict {
  const entries = readZip(bytes);
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) throw new StudioError('E_MODEL_INVALID', 'this zip file is not a PyTorch checkpoint (no data.pkl)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(order).trim() === 'big') throw new StudioError('E_MODEL_UNSUPPORTED', 'big-endian checkpoints are not supported');
  const { value } = unpickle(entries.get(pkl)!, storageOf);
  const tensors = new Map<PickledTensor, NamedTensor>();
  return mapTensors(unwrapStateDict(value, (v): v is NamedTensor => isPickledTensor(v)), (t) => {
    let m = tensors.get(t);
    if (!m) {
      const data = entries.get(`${prefix}data/${t.storage.key}`);
      if (!data) throw new StudioError('E_MODEL_INVALID', `damaged checkpoint: storage ${t.storage.key} is missing`);
      m = materialize(t, data);
      tensors.set(t, m);
    }
    return m;
  });
}

/** torch < 1.6: magic, protocol, sys info, the object, storage keys, then each storage's bytes. */
function fromLegacy(bytes: Uint8Array): StateDict {
  const none = () => {
    throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: unexpected persistent id');
  };
  const magic = unpickle(bytes, none);
  if (magic.value !== 0x1950a86a20f9469cfc6c) throw new StudioError('E_MODEL_INVALID', 'not a PyTorch checkpoint');
  const proto = unpickle(bytes, none, magic.end);
  const sys = unpickle(bytes, none, proto.end);
  const storages = new Map<string, PickledStorage>();
  const main = unpickle(
    bytes,
    (pid) => {
      const s = storageOf(pid);
      const known = storages.get(s.key);
      if (known) return known;
      storages.set(s.key, s);
      return s;
    },
    sys.end,
  );
  const keys = unpickle(bytes, none, main.end);
  if (!Array.isArray(keys.value)) throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: no storage list');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Uint8Array>();
  let p = keys.end;
  for (const key of keys.value) {
    const s = storages.get(String(key));
    if (p + 8 > bytes.length || !s) throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: storage data ends early (truncated?)');
    const n = Number(dv.getBigInt64(p, true));
    const len = n * elementBytes(s.type);
    p += 8;
    if (p + len > bytes.length) throw new StudioError('E_MODEL_INVALID', 'damaged checkpoint: storage data ends early (truncated?)');
    data.set(s.key, bytes.subarray(p, p + len));
    p += len;
  }
  return mapTensors(unwrapStateDict(main.value, (v): v is NamedTensor => isPickledTensor(v)), (t) => {
    const d = data.get(t.storage.key);
    if (!d) throw new StudioError('E_MODEL_INVALID', `damaged checkpoint: storage ${t.storage.key} is missing`);
    return materialize(t, d);
  });
}

function mapTensors(sd: StateDict, f: (t: PickledTensor) => NamedTensor): StateDict {
  const out: StateDict = new Map();
  for (const [k, v] of sd) out.set(k, f(v as unknown as PickledTensor));
  return out;
}

/** The state dict of a PyTorch checkpoint file's bytes. */
export function readPth(bytes: Uint8Array): StateDict {
  if (isZip(bytes)) return fromZip(bytes);
  if (bytes[0] === 0x80) return fromLegacy(bytes);
  throw new StudioError('E_MODEL_INVALID', 'not a PyTorch checkpoint (neither a zip archive nor a pickle)');
}
