// The WebAssembly encoder: LEB128 at the edges, and modules V8 accepts and runs (shared memory
// import with limits flag 0x03, imported globals, atomics with the 0xFE prefix, wait/notify,
// a start function, a table for call_indirect, code offsets as V8 reports them).

import { describe, expect, it } from 'vitest';
import { AtomicOp, ByteWriter, Code, I32, I64, ModuleBuilder, Op } from '../src/jit/wasm.js';

const bytesOf = (fill: (w: ByteWriter) => void): number[] => {
  const w = new ByteWriter(1);
  fill(w);
  return Array.from(w.result());
};

describe('LEB128', () => {
  it('unsigned', () => {
    expect(bytesOf((w) => w.u32(0))).toEqual([0x00]);
    expect(bytesOf((w) => w.u32(127))).toEqual([0x7f]);
    expect(bytesOf((w) => w.u32(128))).toEqual([0x80, 0x01]);
    expect(bytesOf((w) => w.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytesOf((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
  it('signed 32', () => {
    expect(bytesOf((w) => w.s32(0))).toEqual([0x00]);
    expect(bytesOf((w) => w.s32(63))).toEqual([0x3f]);
    expect(bytesOf((w) => w.s32(64))).toEqual([0xc0, 0x00]);
    expect(bytesOf((w) => w.s32(-1))).toEqual([0x7f]);
    expect(bytesOf((w) => w.s32(-64))).toEqual([0x40]);
    expect(bytesOf((w) => w.s32(-65))).toEqual([0xbf, 0x7f]);
    expect(bytesOf((w) => w.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(bytesOf((w) => w.s32(0x7fffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(bytesOf((w) => w.s32(-0x80000000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });
  it('signed 64', () => {
    expect(bytesOf((w) => w.s64(-1n))).toEqual([0x7f]);
    expect(bytesOf((w) => w.s64(1n << 63n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
    expect(bytesOf((w) => w.s64((1n << 63n) - 1n))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
  });
});

function i64Identity(v: bigint): bigint {
  const m = new ModuleBuilder();
  const f = m.addFunc(m.type([], [I64]));
  const c = new Code(1);
  c.i64Const(v);
  c.end();
  m.setBody(f, [], c.result());
  m.exportFunc('f', f);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.build().bytes));
  return (inst.exports.f as () => bigint)();
}

describe('modules', () => {
  it('i64 constants of every size round-trip through V8', () => {
    for (const v of [0n, 1n, -1n, 63n, -64n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn, 1n << 62n, -(1n << 63n), (1n << 63n) - 1n]) {
      expect(i64Identity(v)).toBe(v);
    }
    expect(i64Identity(BigInt(0xffffffff))).toBe(0xffffffffn);
  });

  it('imports a shared memory (flags 0x03) and globals, and does atomics, wait and notify on it', () => {
    const m = new ModuleBuilder();
    m.importSharedMemory('memory', 2);
    const g = m.importGlobal('base', I32, false);
    const mut = m.importGlobal('count', I32, true);
    const own = m.addGlobal(I64, true, 5n);
    // add(v): old = i64.atomic.rmw.add(base, v); count += 1; own += old; notify(base, 0) -> returns old
    const add = m.addFunc(m.type([I64], [I64]));
    const c = new Code();
    c.globalGet(g);
    c.get(0);
    c.atomic(AtomicOp.i64_rmw_add, 3);
    c.tee(1);
    c.globalGet(own);
    c.op(Op.i64_add);
    c.globalSet(own);
    c.globalGet(mut);
    c.i32Const(1);
    c.op(Op.i32_add);
    c.globalSet(mut);
    c.globalGet(g);
    c.i32Const(0);
    c.atomic(AtomicOp.notify, 2);
    c.op(Op.drop);
    c.get(1);
    c.end();
    m.setBody(add, [I64], c.result());
    // wait(expected) -> wait32(base + 8, expected, 1 ms): 1 "not-equal" or 2 "timed-out"
    const wait = m.addFunc(m.type([I32], [I32]));
    const w = new Code();
    w.globalGet(g);
    w.get(0);
    w.i64Const(1_000_000);
    w.atomic(AtomicOp.wait32, 2, 8);
    w.end();
    m.setBody(wait, [], w.result());
    m.exportFunc('add', add);
    m.exportFunc('wait', wait);
    m.exportGlobal('own', own);
    const { bytes } = m.build();
    // The memory import's limits: flags 0x03 (shared, with maximum), min 2, max 2.
    const name = Array.from(new TextEncoder().encode('memory'));
    const at = Array.from(bytes).findIndex((_, i) => name.every((b, k) => bytes[i + k] === b)) + name.length;
    expect(Array.from(bytes.subarray(at, at + 4))).toEqual([0x02, 0x03, 0x02, 0x02]); // kind memory, flags, min, max
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    const count = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, base: 4096, count } });
    const addFn = inst.exports.add as (v: bigint) => bigint;
    expect(addFn(7n)).toBe(0n);
    expect(addFn(-2n)).toBe(7n);
    expect(new BigInt64Array(memory.buffer)[512]).toBe(5n);
    expect(count.value).toBe(2);
    expect((inst.exports.own as WebAssembly.Global).value).toBe(12n);
    const waitFn = inst.exports.wait as (e: number) => number;
    expect(waitFn(1)).toBe(1); // the word is 0, not 1
    expect(waitFn(0)).toBe(2); // times out
  });

  it('refuses a misaligned atomic access with a trap, as BPF refuses it', () => {
    const m = new ModuleBuilder();
    m.importSharedMemory('memory', 1);
    const f = m.addFunc(m.type([I32], [I32]));
    const c = new Code();
    c.get(0);
    c.atomic(AtomicOp.i32_load, 2);
    c.end();
    m.setBody(f, [], c.result());
    m.exportFunc('f', f);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.build().bytes), { env: { memory } });
    expect(() => (inst.exports.f as (a: number) => number)(2)).toThrow(/unaligned/);
  });

  it('runs a start function and calls through a table; codeStart gives the offsets V8 reports', () => {
    const m = new ModuleBuilder();
    const tV = m.type([], []);
    const tI = m.type([I32], [I32]);
    const g = m.addGlobal(I32, true, 0);
    const start = m.addFunc(tV);
    const sq = m.addFunc(tI);
    const viaTable = m.addFunc(tI);
    const trap = m.addFunc(tV);
    let c = new Code();
    c.i32Const(41);
    c.globalSet(g);
    c.end();
    m.setBody(start, [], c.result());
    c = new Code();
    c.get(0);
    c.get(0);
    c.op(Op.i32_mul);
    c.end();
    m.setBody(sq, [], c.result());
    c = new Code();
    c.get(0);
    c.i32Const(1);
    c.op(Op.call_indirect);
    c.u32(tI);
    c.u32(0);
    c.end();
    m.setBody(viaTable, [], c.result());
    c = new Code();
    c.op(Op.nop);
    c.op(Op.unreachable); // at code offset 1
    c.end();
    m.setBody(trap, [], c.result());
    m.table(2, 1, [sq]);
    m.start(start);
    m.exportFunc('via', viaTable);
    m.exportFunc('trap', trap);
    m.exportGlobal('g', g);
    const { bytes, codeStart } = m.build();
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    expect((inst.exports.g as WebAssembly.Global).value).toBe(41);
    expect((inst.exports.via as (v: number) => number)(12)).toBe(144);
    try {
      (inst.exports.trap as () => void)();
      expect.unreachable();
    } catch (e) {
      const m2 = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/.exec((e as Error).stack ?? '');
      expect(Number(m2![1])).toBe(trap);
      expect(parseInt(m2![2]!, 16)).toBe(codeStart[trap]! + 1);
    }
  });

  it('refuses imports after definitions', () => {
    const m = new ModuleBuilder();
    m.addFunc(m.type([], []));
    expect(() => m.importGlobal('x', I32, false)).toThrow(/imports must come before definitions/);
  });
});
