// A pickle reader for PyTorch checkpoints that never runs anything. Python pickles are programs:
// GLOBAL names any importable callable and REDUCE calls it. Here GLOBAL is checked against the
// short allow-list of names a state dict needs (OrderedDict, the tensor rebuilders, storage
// types) and refused otherwise, before anything else happens; REDUCE "calls" only those, by
// building plain data. The same policy as torch.load(weights_only=True), in TypeScript.
import { StudioError } from '../../contract/errors';

export interface PickledStorage {
  kind: 'storage';
  /** torch storage type, e.g. 'HalfStorage'. */
  type: string;
  key: string;
  numel: number;
}

export interface PickledTensor {
  kind: 'tensor';
  storage: PickledStorage;
  offset: number;
  shape: number[];
  stride: number[];
}

interface Global {
  kind: 'global';
  name: string;
}

export const STORAGE_TYPES = ['FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage'];

/** Every global a checkpoint may name. Anything else is refused as unsafe. */
const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  'torch.Tensor',
  ...STORAGE_TYPES.map((t) => `torch.${t}`),
]);

const MARK = Symbol('mark');
type Value = unknown;

function invalid(message: string): StudioError {
  return new StudioError('E_MODEL_INVALID', `damaged checkpoint (pickle): ${message}`);
}

function unsafe(name: string): StudioError {
  return new StudioError('E_MODEL_UNSAFE', `the checkpoint asks Python to load '${name}'; a model file needs only tensors, so it was refused without running anything`, { global: name });
}

const isGlobal = (v: unknown, name?: string): v is Global => typeof v === 'object' && v !== null && (v as Global).kind === 'global' && (name === undefined || (v as Global).name === name);

const ints = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0)) throw invalid(`bad tensor ${what}`);
  return v as number[];
};

/** REDUCE of an allowed callable on its argument tuple. */
function call(fn: Value, args: Value): Value {
  if (!isGlobal(fn) || !Array.isArray(args)) throw invalid('REDUCE of something that is not a known function');
  switch (fn.name) {
    case 'collections.OrderedDict':
      return new Map();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      const s = storage as PickledStorage;
      if (s?.kind !== 'storage' || typeof offset !== 'number') throw invalid('bad tensor record');
      const t: PickledTensor = { kind: 'tensor', storage: s, offset, shape: ints(size, 'shape'), stride: ints(stride, 'stride') };
      return t;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0];
    case 'torch._tensor._rebuild_from_type_v2':
      return call(args[0], args[2]);
    default:
      throw unsafe(fn.name); // a type name (storage, Parameter) used as a function
  }
}

/**
 * The object the pickle at `start` describes, and where it ends; `persistentLoad` turns
 * persistent ids into storages.
 */
export function unpickle(bytes: Uint8Array, persistentLoad: (pid: Value) => Value, start = 0): { value: Value; end: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let p = start;
  const need = (n: number) => {
    if (p + n > bytes.length) throw invalid('ends early (truncated file?)');
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw invalid('unterminated line');
    const s = text.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw invalid('stack underflow');
    return stack.pop();
  };
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw invalid('no MARK');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) throw invalid('stack underflow');
    return stack[stack.length - 1];
  };
  const global = (name: string) => {
    if (!ALLOWED.has(name)) throw unsafe(name);
    stack.push({ kind: 'global', name } satisfies Global);
  };
  const setItems = (d: Value, kv: Value[]) => {
    if (!(d instanceof Map)) throw invalid('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const longLE = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) throw invalid(`memo ${k} is missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text.decode(take(Number(dv.getBigUint64((need(8), (p += 8), p - 8), true)))));
        break;
      case 0x54: // BINSTRING
        stack.push(text.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longLE(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longLE(take(u32())));
        break;
      case 0x49: {
        // INT (text; '01' / '00' are True / False in protocol 0)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(Number(line().replace(/L$/, '')));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x63: {
        // GLOBAL 'module\nname\n'
        const mod = line();
        global(`${mod}.${line()}`);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') throw invalid('STACK_GLOBAL of non-strings');
        global(`${mod}.${name}`);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: only an OrderedDict may be made this way
        const args = pop();
        const cls = pop();
        if (!isGlobal(cls, 'collections.OrderedDict')) throw unsafe(isGlobal(cls) ? cls.name : 'an object constructor');
        void args;
        stack.push(new Map());
        break;
      }
      case 0x62: // BUILD: state of an OrderedDict (its _metadata) or a tensor; not needed
        pop();
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw invalid('APPEND to something that is not a list');
        l.push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw invalid('APPENDS to something that is not a list');
        l.push(...items);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x92: // NEWOBJ_EX
      case 0x82: // EXT1
      case 0x83:
      case 0x84:
      case 0x50: // PERSID (text)
        throw unsafe(`opcode 0x${op.toString(16)}`);
      default:
        throw invalid(`unknown opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
