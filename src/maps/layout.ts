// Value layouts: C structs declared in TypeScript, and the views that programs get from a lookup.
//
// A view is a window on one value slot in shared memory (pointer semantics: writes go straight to
// the map). Views are created once per slot and cached by the map families, so a lookup on the hot
// path allocates nothing. u64 fields read and write as JS numbers split into two 32-bit halves:
// exact up to 2^53, wrapping modulo 2^64 on write, and no BigInt on the way.

import { SpinLockWord, bpf_spin_lock } from '../sync/spinlock.js';
import * as limits from './limits.js';

export { bpf_spin_lock };

// Module-level copies of the limits, for the u64 field accessors: V8 folds a module's own const
// into optimized code but loads an imported binding at every use (measured: an imported U32_MAX
// and TWO_32 made a u64 `cnt += 1` 0.6 ns slower, 2.6 ns against 2.0).
const TWO_32 = limits.TWO_32;
const U32_MAX = limits.U32_MAX;

/**
 * The typed arrays over one map buffer, created once per buffer per thread. A buffer is a whole
 * SharedArrayBuffer, or a region of one: the maps of a loaded eBPF object share one WebAssembly
 * memory, so a program's pointers are addresses in it. Indexes into the arrays are relative to
 * the region; `offset` turns one into the address a program sees.
 */
export class SharedMemory {
  readonly buffer: SharedArrayBuffer;
  /** Byte offset of the region in buffer (a multiple of 8). */
  readonly offset: number;
  readonly length: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** 64-bit lanes, for 64-bit atomics (a read-modify-write of two 32-bit halves would tear). */
  readonly i64: BigInt64Array;

  constructor(buffer: SharedArrayBuffer, offset = 0, length = buffer.byteLength - offset) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    this.u8 = new Uint8Array(buffer, offset, length);
    this.u16 = new Uint16Array(buffer, offset, length >>> 1);
    this.u32 = new Uint32Array(buffer, offset, length >>> 2);
    this.i32 = new Int32Array(buffer, offset, length >>> 2);
    this.i64 = new BigInt64Array(buffer, offset, length >>> 3);
  }
}

// ---- field types ---------------------------------------------------------------------------

export type ScalarKind = 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'bpf_spin_lock';

export interface ScalarType {
  readonly kind: ScalarKind;
  readonly size: number;
  readonly align: number;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly of: ScalarType;
  readonly length: number;
  readonly size: number;
  readonly align: number;
}
export type FieldType = ScalarType | ArrayType;

const scalar = (kind: ScalarKind, size: number): ScalarType => Object.freeze({ kind, size, align: size });
export const u8 = scalar('u8', 1);
export const s8 = scalar('s8', 1);
export const u16 = scalar('u16', 2);
export const s16 = scalar('s16', 2);
export const u32 = scalar('u32', 4);
export const s32 = scalar('s32', 4);
export const u64 = scalar('u64', 8);
export const s64 = scalar('s64', 8);

/** A fixed-size array field such as `char comm[16]` (read as a typed array over the slot). */
export function array(of: ScalarType, length: number): ArrayType {
  if (of.kind === 'bpf_spin_lock' || of.kind === 'u64' || of.kind === 's64') {
    throw new TypeError(`array(${of.kind}, ${length}): only 8-, 16- and 32-bit element arrays are supported`);
  }
  if (!Number.isInteger(length) || length < 1) throw new TypeError(`array length must be a positive integer, got ${length}`);
  return Object.freeze({ kind: 'array', of, length, size: of.size * length, align: of.align });
}

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Byte offset inside the value. */
  readonly offset: number;
}

// ---- views -----------------------------------------------------------------------------------

/**
 * A view of one value slot. Raw accessors take byte offsets inside the value and refuse to reach
 * past its end; struct views add named fields on top.
 */
export class ValueView {
  /** The typed arrays over the map's buffer (shared by every view of that buffer). */
  readonly _mem: SharedMemory;
  /** Byte offset of the value in the buffer (8-byte aligned); changed only by _retarget. */
  _off: number;
  /** Offset in 32-bit words (_off / 4), precomputed for the field accessors. */
  _w: number;
  /** _mem.u32, held here too: 32- and 64-bit fields then cost one load less per access. */
  readonly _u32: Uint32Array;
  /** value_size of the map (a ring buffer record: its size). */
  _size: number;
  /** The lock word's object when the layout holds a bpf_spin_lock, else null. */
  readonly _lock: SpinLockWord | null;
  _bytes: Uint8Array | null;
  /** Typed arrays of array fields, created on first use. */
  _arrays: ArrayBufferView[] | null;

  constructor(mem: SharedMemory, off: number, size: number, lockOffset: number) {
    this._mem = mem;
    this._off = off;
    this._w = off >>> 2;
    this._u32 = mem.u32;
    this._size = size;
    this._lock = lockOffset >= 0 ? new SpinLockWord(mem.i32, (off + lockOffset) >>> 2) : null;
    this._bytes = null;
    this._arrays = null;
    // Writing a field the layout does not have throws (modules are strict) instead of silently
    // adding a property.
    Object.preventExtensions(this);
  }

  /**
   * Point this view at another slot of the same buffer: the ring buffer lends a few views out for
   * record after record instead of allocating one each. The byte and array-field views made for
   * the old slot are dropped. (A `_` name, as struct() reserves those, so no field can hide it.)
   */
  _retarget(off: number, size: number): void {
    this._off = off;
    this._w = off >>> 2;
    this._size = size;
    if (this._bytes !== null) this._bytes = null;
    if (this._arrays !== null) this._arrays = null;
  }

  /** The value's bytes (a live Uint8Array over shared memory; created once per view). */
  get bytes(): Uint8Array {
    return (this._bytes ??= this._mem.u8.subarray(this._off, this._off + this._size));
  }

  private check(offset: number, width: number): void {
    if (!(offset >= 0 && offset + width <= this._size && offset % width === 0)) {
      throw new RangeError(
        `access of ${width} byte(s) at offset ${offset} is outside the ${this._size}-byte value or misaligned; ` +
          `keep offsets within value_size and aligned to the access width`,
      );
    }
  }

  getU8(offset: number): number { this.check(offset, 1); return this._mem.u8[this._off + offset]!; }
  setU8(offset: number, v: number): void { this.check(offset, 1); this._mem.u8[this._off + offset] = v; }
  getU32(offset: number): number { this.check(offset, 4); return this._u32[this._w + (offset >>> 2)]!; }
  setU32(offset: number, v: number): void { this.check(offset, 4); this._u32[this._w + (offset >>> 2)] = v; }
  getU64(offset: number): number {
    this.check(offset, 8);
    const w = this._w + (offset >>> 2);
    return this._u32[w]! + this._u32[w + 1]! * TWO_32;
  }
  setU64(offset: number, v: number): void {
    this.check(offset, 8);
    const w = this._w + (offset >>> 2);
    this._u32[w] = v >>> 0;
    this._u32[w + 1] = Math.floor(v / TWO_32) >>> 0;
  }
}

export type ViewClass = new (mem: SharedMemory, off: number, size: number, lockOffset: number) => ValueView;

// ---- struct layouts ---------------------------------------------------------------------------

export interface StructLayout<F extends Record<string, FieldType> = Record<string, FieldType>> {
  /** sizeof(struct), with C padding. */
  readonly size: number;
  readonly align: number;
  readonly fields: { readonly [K in keyof F]: Field };
  /** Offset of the bpf_spin_lock field, or -1. */
  readonly lockOffset: number;
  readonly View: ViewClass;
  /**
   * Encode a plain object into the struct's bytes (missing fields are zero; the lock word stays 0).
   * This is how a value is passed where bytes are expected: `map.update(key, Elem.encode({ cnt: 1 }))`
   * in user space, or `bpf_map_update_elem(map, key, Elem.encode({ cnt: 1 }), BPF_ANY)` in a handler
   * (an object such as `{ cnt: 1 }` itself is refused: "the value is [object Object]"). In a hot
   * handler, encode once outside it and reuse the bytes.
   */
  encode(values: Partial<Record<keyof F, number | ArrayLike<number>>>): Uint8Array;
  /** Decode a value's bytes into a plain object (u64 as a number, arrays as plain arrays). */
  decode(bytes: Uint8Array, offset?: number): Record<keyof F, number | number[]>;
}

/** The live object type of a view of a struct layout, for typing handler code. */
export type StructView<F extends Record<string, FieldType>> = ValueView & {
  -readonly [K in keyof F]: F[K] extends ArrayType ? Uint8Array | Uint16Array | Uint32Array | Int32Array
    : F[K] extends typeof bpf_spin_lock ? SpinLockWord : number;
};

function accessorFor(field: Field, arrayIndex: number): PropertyDescriptor {
  const { type, offset } = field;
  if (type.kind === 'array') {
    const { of, length } = type;
    return {
      get(this: ValueView) {
        const arrays = (this._arrays ??= []);
        let a = arrays[arrayIndex];
        if (a === undefined) {
          const buf = this._mem.buffer;
          const at = this._mem.offset + this._off + offset;
          a = of.kind === 'u8' ? new Uint8Array(buf, at, length)
            : of.kind === 's8' ? new Int8Array(buf, at, length)
            : of.kind === 'u16' ? new Uint16Array(buf, at, length)
            : of.kind === 's16' ? new Int16Array(buf, at, length)
            : of.kind === 'u32' ? new Uint32Array(buf, at, length)
            : new Int32Array(buf, at, length);
          arrays[arrayIndex] = a;
        }
        return a;
      },
    };
  }
  const w = offset >>> 2;
  const h = offset >>> 1;
  switch (type.kind) {
    case 'u8': return { get(this: ValueView) { return this._mem.u8[this._off + offset]; }, set(this: ValueView, v: number) { this._mem.u8[this._off + offset] = v; } };
    case 's8': return { get(this: ValueView) { return (this._mem.u8[this._off + offset]! << 24) >> 24; }, set(this: ValueView, v: number) { this._mem.u8[this._off + offset] = v; } };
    case 'u16': return { get(this: ValueView) { return this._mem.u16[(this._off >>> 1) + h]; }, set(this: ValueView, v: number) { this._mem.u16[(this._off >>> 1) + h] = v; } };
    case 's16': return { get(this: ValueView) { return (this._mem.u16[(this._off >>> 1) + h]! << 16) >> 16; }, set(this: ValueView, v: number) { this._mem.u16[(this._off >>> 1) + h] = v; } };
    case 'u32': return { get(this: ValueView) { return this._u32[this._w + w]; }, set(this: ValueView, v: number) { this._u32[this._w + w] = v; } };
    case 's32': return { get(this: ValueView) { return this._mem.i32[this._w + w]; }, set(this: ValueView, v: number) { this._mem.i32[this._w + w] = v; } };
    case 'u64':
      // Counters live below 2^32 most of their life: that case skips the float multiply and the
      // double-to-int truncation of a full 64-bit split, which cost more than the rest of an event.
      return {
        get(this: ValueView) {
          const m = this._u32;
          const i = this._w + w;
          const hi = m[i + 1]!;
          return hi === 0 ? m[i] : m[i]! + hi * TWO_32;
        },
        set(this: ValueView, v: number) {
          const m = this._u32;
          const i = this._w + w;
          if (v >= 0 && v <= U32_MAX) {
            m[i] = v;
            m[i + 1] = 0;
          } else {
            m[i] = v >>> 0;
            m[i + 1] = Math.floor(v / TWO_32) >>> 0;
          }
        },
      };
    case 's64':
      return {
        get(this: ValueView) { const i = this._w + w; return this._u32[i]! + this._mem.i32[i + 1]! * TWO_32; },
        set(this: ValueView, v: number) { const m = this._u32; const i = this._w + w; m[i] = v >>> 0; m[i + 1] = Math.floor(v / TWO_32) >>> 0; },
      };
    case 'bpf_spin_lock':
      // The lock word may only be touched through bpf_spin_lock()/bpf_spin_unlock(), as the verifier insists.
      return { get(this: ValueView) { return this._lock; } };
  }
}

/**
 * Declare a C struct: fields in order, each aligned to its natural alignment, the size rounded up
 * to the largest alignment (the C rules clang uses for BPF). At most one bpf_spin_lock, as the kernel
 * allows.
 */
export function struct<F extends Record<string, FieldType>>(def: F): StructLayout<F> {
  let offset = 0;
  let align = 1;
  let lockOffset = -1;
  const fields: Record<string, Field> = {};
  for (const [name, type] of Object.entries(def)) {
    if (name in ValueView.prototype || name.startsWith('_')) {
      throw new TypeError(`struct field name '${name}' is reserved by value views; rename it`);
    }
    offset = Math.ceil(offset / type.align) * type.align;
    if (type.kind === 'bpf_spin_lock') {
      if (lockOffset >= 0) throw new TypeError('a map value may hold only one bpf_spin_lock (the kernel rejects two)');
      lockOffset = offset;
    }
    fields[name] = Object.freeze({ name, type, offset });
    offset += type.size;
    align = Math.max(align, type.align);
  }
  if (offset === 0) throw new TypeError('struct() needs at least one field');
  const size = Math.ceil(offset / align) * align;

  class View extends ValueView {}
  let arrayIndex = 0;
  for (const f of Object.values(fields)) {
    Object.defineProperty(View.prototype, f.name, accessorFor(f, f.type.kind === 'array' ? arrayIndex++ : -1));
  }

  return Object.freeze({
    size,
    align,
    fields: Object.freeze(fields) as StructLayout<F>['fields'],
    lockOffset,
    View,
    encode(values: Partial<Record<keyof F, number | ArrayLike<number>>>) {
      const bytes = new Uint8Array(size);
      const dv = new DataView(bytes.buffer);
      for (const [name, v] of Object.entries(values as Record<string, number | ArrayLike<number>>)) {
        const f = fields[name];
        if (!f) throw new TypeError(`struct has no field '${name}'`);
        writeField(dv, f, v);
      }
      return bytes;
    },
    decode(bytes: Uint8Array, at = 0) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + at, size);
      const out: Record<string, number | number[]> = {};
      for (const f of Object.values(fields)) out[f.name] = readField(dv, f);
      return out as Record<keyof F, number | number[]>;
    },
  });
}

function readScalar(dv: DataView, kind: ScalarKind, at: number): number {
  switch (kind) {
    case 'u8': return dv.getUint8(at);
    case 's8': return dv.getInt8(at);
    case 'u16': return dv.getUint16(at, true);
    case 's16': return dv.getInt16(at, true);
    case 'u32': case 'bpf_spin_lock': return dv.getUint32(at, true);
    case 's32': return dv.getInt32(at, true);
    case 'u64': return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * TWO_32;
    case 's64': return dv.getUint32(at, true) + dv.getInt32(at + 4, true) * TWO_32;
  }
}

function writeScalar(dv: DataView, kind: ScalarKind, at: number, v: number): void {
  switch (kind) {
    case 'u8': case 's8': dv.setUint8(at, v & 0xff); return;
    case 'u16': case 's16': dv.setUint16(at, v & 0xffff, true); return;
    case 'u32': case 's32': dv.setUint32(at, v >>> 0, true); return;
    case 'u64': case 's64': dv.setUint32(at, v >>> 0, true); dv.setUint32(at + 4, Math.floor(v / TWO_32) >>> 0, true); return;
    case 'bpf_spin_lock': return; // user space never writes the lock word
  }
}

function readField(dv: DataView, f: Field): number | number[] {
  if (f.type.kind !== 'array') return readScalar(dv, f.type.kind, f.offset);
  const out: number[] = [];
  for (let i = 0; i < f.type.length; i++) out.push(readScalar(dv, f.type.of.kind, f.offset + i * f.type.of.size));
  return out;
}

function writeField(dv: DataView, f: Field, v: number | ArrayLike<number>): void {
  if (f.type.kind !== 'array') {
    if (typeof v !== 'number') throw new TypeError(`field '${f.name}' takes a number`);
    writeScalar(dv, f.type.kind, f.offset, v);
    return;
  }
  if (typeof v === 'number') throw new TypeError(`field '${f.name}' takes an array of ${f.type.length} numbers`);
  const n = Math.min(v.length, f.type.length);
  for (let i = 0; i < n; i++) writeScalar(dv, f.type.of.kind, f.offset + i * f.type.of.size, v[i]!);
}
