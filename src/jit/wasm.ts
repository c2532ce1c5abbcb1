// A small WebAssembly binary encoder: just what the translator emits (MVP + sign extension ops +
// the threads proposal's atomics). Written here rather than taken from binaryen/wabt: those are
// tens of megabytes for a few hundred lines of byte pushing, and translation must be fast (< 50 ms
// for 1,000 instructions), which a direct byte writer is.
//
// Module layout produced by build(): magic, version, then sections in the order the format
// requires: type 1, import 2, function 3, table 4, global 6, export 7, start 8, element 9, code 10.

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;
/** Block type of a block/loop/if with no parameters and no result. */
export const VOID = 0x40;

/** Single-byte opcodes (the core instruction set). */
export const Op = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11,
  drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29,
  i32_load8_s: 0x2c, i32_load8_u: 0x2d, i32_load16_s: 0x2e, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33,
  i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b,
  i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55,
  i64_gt_u: 0x56, i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e,
  i32_rem_s: 0x6f, i32_rem_u: 0x70, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73,
  i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80,
  i64_rem_s: 0x81, i64_rem_u: 0x82, i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85,
  i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** The threads proposal's atomic opcodes, each after the 0xFE prefix. */
export const ATOMIC_PREFIX = 0xfe;
export const AtomicOp = {
  notify: 0x00, wait32: 0x01, wait64: 0x02, fence: 0x03,
  i32_load: 0x10, i64_load: 0x11,
  i32_store: 0x17, i64_store: 0x18,
  i32_rmw_add: 0x1e, i64_rmw_add: 0x1f, i64_rmw32_add_u: 0x24,
  i32_rmw_sub: 0x25, i64_rmw_sub: 0x26, i64_rmw32_sub_u: 0x2b,
  i32_rmw_and: 0x2c, i64_rmw_and: 0x2d, i64_rmw32_and_u: 0x32,
  i32_rmw_or: 0x33, i64_rmw_or: 0x34, i64_rmw32_or_u: 0x39,
  i32_rmw_xor: 0x3a, i64_rmw_xor: 0x3b, i64_rmw32_xor_u: 0x40,
  i32_rmw_xchg: 0x41, i64_rmw_xchg: 0x42, i64_rmw32_xchg_u: 0x47,
  i32_rmw_cmpxchg: 0x48, i64_rmw_cmpxchg: 0x49, i64_rmw32_cmpxchg_u: 0x4e,
} as const;

/** A growable byte buffer with the format's integer encodings. */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }
  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array | readonly number[]): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** Unsigned LEB128 of a 32-bit value. */
  u32(v: number): void {
    if (v >= 0 && v < 0x80 && this.len < this.buf.length) {
      this.buf[this.len++] = v; // one byte: local indices, small offsets
      return;
    }
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  /** Signed LEB128 of a 32-bit value (also right for an i64.const of a sign-extended 32-bit value). */
  s32(v: number): void {
    if (v >= -64 && v < 64 && this.len < this.buf.length) {
      this.buf[this.len++] = v & 0x7f;
      return;
    }
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  /** Signed LEB128 of a 64-bit value. */
  s64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Instruction-level helpers over a ByteWriter, so emitters read like the text format. */
export class Code extends ByteWriter {
  op(o: number): void {
    this.byte(o);
  }
  i32Const(v: number): void {
    this.byte(Op.i32_const);
    this.s32(v);
  }
  i64Const(v: number | bigint): void {
    this.byte(Op.i64_const);
    if (typeof v === 'number') {
      if ((v | 0) === v) this.s32(v);
      else this.s64(BigInt(v));
    } else if (v >= -0x80000000n && v <= 0x7fffffffn) this.s32(Number(v));
    else this.s64(v);
  }
  get(local: number): void {
    this.op2(Op.local_get, local);
  }
  set(local: number): void {
    this.op2(Op.local_set, local);
  }
  /** An opcode and an unsigned immediate, two bytes when it is below 128 (most local indices). */
  private op2(o: number, imm: number): void {
    if (imm < 0x80 && this.len + 2 <= this.buf.length) {
      this.buf[this.len] = o;
      this.buf[this.len + 1] = imm;
      this.len += 2;
    } else {
      this.byte(o);
      this.u32(imm);
    }
  }
  tee(local: number): void {
    this.byte(Op.local_tee);
    this.u32(local);
  }
  globalGet(g: number): void {
    this.byte(Op.global_get);
    this.u32(g);
  }
  globalSet(g: number): void {
    this.byte(Op.global_set);
    this.u32(g);
  }
  call(f: number): void {
    this.byte(Op.call);
    this.u32(f);
  }
  br(depth: number): void {
    this.byte(Op.br);
    this.u32(depth);
  }
  brIf(depth: number): void {
    this.byte(Op.br_if);
    this.u32(depth);
  }
  block(): void {
    this.byte(Op.block);
    this.byte(VOID);
  }
  loop(): void {
    this.byte(Op.loop);
    this.byte(VOID);
  }
  if(resultType: number = VOID): void {
    this.byte(Op.if);
    this.byte(resultType);
  }
  else(): void {
    this.byte(Op.else);
  }
  end(): void {
    this.byte(Op.end);
  }
  /** A load or store with memarg (alignment hint log2, unsigned offset). */
  mem(o: number, alignLog2: number, offset: number): void {
    this.byte(o);
    this.u32(alignLog2);
    this.u32(offset);
  }
  /** An atomic memory op: alignment must be the access's natural one (the format requires it). */
  atomic(o: number, alignLog2: number, offset = 0): void {
    this.byte(ATOMIC_PREFIX);
    this.u32(o);
    this.u32(alignLog2);
    this.u32(offset);
  }
}

interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}
interface Import {
  name: string;
  kind: 'func' | 'global' | 'memory';
  type?: number;
  valType?: ValType;
  mutable?: boolean;
  pages?: number;
}
interface Global {
  valType: ValType;
  mutable: boolean;
  init: number | bigint;
}
interface Body {
  locals: ValType[];
  code: Uint8Array;
}

/** Module under construction; all imports must be added before the first defined function. */
export class ModuleBuilder {
  private types: FuncType[] = [];
  private typeKeys = new Map<string, number>();
  private imports: Import[] = [];
  private importedFuncs = 0;
  private importedGlobals = 0;
  private funcTypes: number[] = [];
  private bodies: (Body | undefined)[] = [];
  private globals: Global[] = [];
  private exports: { name: string; kind: number; index: number }[] = [];
  private startFunc = -1;
  private tableSize = -1;
  private elements: { offset: number; funcs: number[] } | null = null;

  type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    let t = this.typeKeys.get(key);
    if (t === undefined) {
      t = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, t);
    }
    return t;
  }
  private beforeDefinitions(): void {
    if (this.funcTypes.length > 0 || this.globals.length > 0) throw new Error('wasm: imports must come before definitions');
  }
  importFunc(name: string, type: number): number {
    this.beforeDefinitions();
    this.imports.push({ name, kind: 'func', type });
    return this.importedFuncs++;
  }
  importGlobal(name: string, valType: ValType, mutable: boolean): number {
    this.beforeDefinitions();
    this.imports.push({ name, kind: 'global', valType, mutable });
    return this.importedGlobals++;
  }
  /** A shared memory, initial = maximum = pages (limits flag 0x03). */
  importSharedMemory(name: string, pages: number): void {
    this.beforeDefinitions();
    this.imports.push({ name, kind: 'memory', pages });
  }
  /** Declares a function (its body comes later with setBody); returns its index. */
  addFunc(type: number): number {
    this.funcTypes.push(type);
    this.bodies.push(undefined);
    return this.importedFuncs + this.funcTypes.length - 1;
  }
  setBody(func: number, locals: ValType[], code: Uint8Array): void {
    this.bodies[func - this.importedFuncs] = { locals, code };
  }
  addGlobal(valType: ValType, mutable: boolean, init: number | bigint): number {
    this.globals.push({ valType, mutable, init });
    return this.importedGlobals + this.globals.length - 1;
  }
  exportFunc(name: string, func: number): void {
    this.exports.push({ name, kind: 0, index: func });
  }
  exportGlobal(name: string, global: number): void {
    this.exports.push({ name, kind: 3, index: global });
  }
  start(func: number): void {
    this.startFunc = func;
  }
  /** One funcref table of `size` slots, `funcs` placed from `offset` on. */
  table(size: number, offset: number, funcs: number[]): void {
    this.tableSize = size;
    this.elements = { offset, funcs };
  }

  /**
   * The module's bytes, and for each defined function the module offset of its first code byte
   * (after the local declarations): positions recorded in a body's code add to it.
   */
  build(): { bytes: Uint8Array; codeStart: number[] } {
    const out = new ByteWriter(1024);
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (w: ByteWriter) => void): number => {
      const w = new ByteWriter();
      fill(w);
      out.byte(id);
      out.u32(w.len);
      const at = out.len;
      out.bytes(w.buf.subarray(0, w.len));
      return at;
    };
    section(1, (w) => {
      w.u32(this.types.length);
      for (const t of this.types) {
        w.byte(0x60);
        w.u32(t.params.length);
        for (const p of t.params) w.byte(p);
        w.u32(t.results.length);
        for (const r of t.results) w.byte(r);
      }
    });
    if (this.imports.length > 0) {
      section(2, (w) => {
        w.u32(this.imports.length);
        for (const im of this.imports) {
          w.name('env');
          w.name(im.name);
          if (im.kind === 'func') {
            w.byte(0x00);
            w.u32(im.type!);
          } else if (im.kind === 'global') {
            w.byte(0x03);
            w.byte(im.valType!);
            w.byte(im.mutable ? 1 : 0);
          } else {
            w.byte(0x02);
            w.byte(0x03); // shared, with a maximum
            w.u32(im.pages!);
            w.u32(im.pages!);
          }
        }
      });
    }
    section(3, (w) => {
      w.u32(this.funcTypes.length);
      for (const t of this.funcTypes) w.u32(t);
    });
    if (this.tableSize >= 0) {
      section(4, (w) => {
        w.u32(1);
        w.byte(0x70); // funcref
        w.byte(0x00);
        w.u32(this.tableSize);
      });
    }
    if (this.globals.length > 0) {
      section(6, (w) => {
        w.u32(this.globals.length);
        for (const g of this.globals) {
          w.byte(g.valType);
          w.byte(g.mutable ? 1 : 0);
          if (g.valType === I32) {
            w.byte(Op.i32_const);
            w.s32(Number(g.init));
          } else {
            w.byte(Op.i64_const);
            w.s64(BigInt(g.init));
          }
          w.byte(Op.end);
        }
      });
    }
    if (this.exports.length > 0) {
      section(7, (w) => {
        w.u32(this.exports.length);
        for (const e of this.exports) {
          w.name(e.name);
          w.byte(e.kind);
          w.u32(e.index);
        }
      });
    }
    if (this.startFunc >= 0) section(8, (w) => w.u32(this.startFunc));
    if (this.elements !== null) {
      const el = this.elements;
      section(9, (w) => {
        w.u32(1);
        w.u32(0); // active, table 0, offset expression, function indices
        w.byte(Op.i32_const);
        w.s32(el.offset);
        w.byte(Op.end);
        w.u32(el.funcs.length);
        for (const f of el.funcs) w.u32(f);
      });
    }
    // The code section is written by hand so each body's place in the module is known.
    const codeStart: number[] = [];
    const payload = new ByteWriter(4096);
    payload.u32(this.bodies.length);
    const rel: number[] = [];
    this.bodies.forEach((b, i) => {
      if (b === undefined) throw new Error(`wasm: function ${i + this.importedFuncs} has no body`);
      const head = new ByteWriter(16);
      // Locals in runs of one type.
      const runs: [number, ValType][] = [];
      for (const t of b.locals) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      head.u32(runs.length);
      for (const [n, t] of runs) {
        head.u32(n);
        head.byte(t);
      }
      payload.u32(head.len + b.code.length);
      payload.bytes(head.buf.subarray(0, head.len));
      rel.push(payload.len);
      payload.bytes(b.code);
    });
    out.byte(10);
    out.u32(payload.len);
    const at = out.len;
    out.bytes(payload.buf.subarray(0, payload.len));
    for (const r of rel) codeStart.push(at + r);
    return { bytes: out.result(), codeStart };
  }
}
