// Loads, stores, atomics and 64-bit immediates. A BPF pointer is a 32-bit address into the object's
// one shared memory, so an access is the register's low half plus off. Every access is a real Wasm
// memory access each time it runs (nothing cached across events), so races between CPUs are real.
// Checked mode routes each address through a bounds check first (this CPU's stack inline, the
// region table out of line); unchecked mode relies on Wasm's bounds (a trap, mapped by insnAt).

import type { FnEmitter } from './emitter.js';
import {
  BPF_ADD, BPF_AND, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_LDX, BPF_MEMSX, BPF_OR, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_STX, BPF_XCHG,
  BPF_XOR, type Insn, MAX_FRAMES, STACK_FRAME, sizeBytes,
} from './isa.js';
import type { Layout } from './layout.js';
import { AtomicOp, type Code, Op } from './wasm.js';

/**
 * Pushes the i32 address of [reg + off] and returns the memarg offset to use with it. Checked mode
 * bounds [addr, addr + size) first and leaves the address in a0 as well.
 */
export function emitAddr(f: FnEmitter, reg: number, off: number, size: number, pc: number): number {
  const c = f.code;
  c.get(f.reg[reg]!);
  c.op(Op.i32_wrap_i64);
  if (!f.L.checked) {
    // A non-negative offset rides in the memarg; a negative one (the stack) is added, wrapping.
    if (off >= 0) return off;
    c.i32Const(off);
    c.op(Op.i32_add);
    return 0;
  }
  if (off !== 0) {
    c.i32Const(off);
    c.op(Op.i32_add);
  }
  emitCheck(f, size, pc);
  return 0;
}

/**
 * Checked mode: address on the stack -> the same address, after a fault if it is out of bounds.
 * Inline, cheapest first: this CPU's stack, then the region the last table check found (a map
 * value is usually touched again and again); only then the call that walks the region table.
 */
export function emitCheck(f: FnEmitter, size: number, pc: number): void {
  const c = f.code;
  const L = f.L;
  // (addr - stackLo) <=u stackBytes - size
  c.tee(f.a0);
  f.stackLo();
  c.op(Op.i32_sub);
  c.i32Const(MAX_FRAMES * STACK_FRAME - size);
  c.op(Op.i32_gt_u);
  c.if();
  // Not the stack: lo <=u addr && addr <=u hi - size for the cached region (-1, -1 never matches).
  c.get(f.a0);
  c.globalGet(L.gRegionLo);
  c.op(Op.i32_lt_u);
  c.get(f.a0);
  c.globalGet(L.gRegionHi);
  c.i32Const(size);
  c.op(Op.i32_sub);
  c.op(Op.i32_gt_u);
  c.op(Op.i32_or);
  c.if();
  c.get(f.a0);
  c.i32Const(size);
  c.i32Const(pc);
  c.call(L.fCheck);
  c.end();
  c.end();
  c.get(f.a0);
}

/** Checked mode: drop the cached region (the runtime may have changed the table). */
export function emitForgetRegion(L: Layout, c: Code): void {
  c.i32Const(-1);
  c.globalSet(L.gRegionLo);
  c.i32Const(-1);
  c.globalSet(L.gRegionHi);
}

const LOAD: Record<number, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const LOADSX: Record<number, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };
const STORE: Record<number, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };

/** LDX MEM (zero-extending) and MEMSX (sign-extending). */
export function emitLoad(f: FnEmitter, insn: Insn): void {
  const size = sizeBytes(insn.code);
  const off = emitAddr(f, insn.src, insn.off, size, insn.pc);
  const sx = (insn.code & 0xe0) === BPF_MEMSX && (insn.code & 7) === BPF_LDX;
  f.code.mem(sx ? LOADSX[size]! : LOAD[size]!, 0, off);
  f.code.set(f.reg[insn.dst]!);
}

/** ST MEM (imm, sign-extended to the width) and STX MEM. */
export function emitStore(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const size = sizeBytes(insn.code);
  const off = emitAddr(f, insn.dst, insn.off, size, insn.pc);
  if ((insn.code & 7) === BPF_STX) c.get(f.reg[insn.src]!);
  else c.i64Const(insn.imm);
  c.mem(STORE[size]!, 0, off);
}

const RMW64: Record<number, number> = {
  [BPF_ADD]: AtomicOp.i64_rmw_add, [BPF_OR]: AtomicOp.i64_rmw_or, [BPF_AND]: AtomicOp.i64_rmw_and,
  [BPF_XOR]: AtomicOp.i64_rmw_xor, [BPF_XCHG & ~BPF_FETCH]: AtomicOp.i64_rmw_xchg,
};
// The 32-bit forms take and return i64, zero-extending the old value as BPF's fetch does.
const RMW32: Record<number, number> = {
  [BPF_ADD]: AtomicOp.i64_rmw32_add_u, [BPF_OR]: AtomicOp.i64_rmw32_or_u, [BPF_AND]: AtomicOp.i64_rmw32_and_u,
  [BPF_XOR]: AtomicOp.i64_rmw32_xor_u, [BPF_XCHG & ~BPF_FETCH]: AtomicOp.i64_rmw32_xchg_u,
};

/** STX ATOMIC W/DW: add/or/and/xor (+fetch), xchg, cmpxchg (compares with r0, old value to r0). */
export function emitAtomic(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const dw = (insn.code & 0x18) === BPF_DW;
  const align = dw ? 3 : 2;
  const off = emitAddr(f, insn.dst, insn.off, dw ? 8 : 4, insn.pc);
  if (insn.imm === BPF_CMPXCHG) {
    c.get(f.reg[0]!);
    c.get(f.reg[insn.src]!);
    c.atomic(dw ? AtomicOp.i64_rmw_cmpxchg : AtomicOp.i64_rmw32_cmpxchg_u, align, off);
    c.set(f.reg[0]!);
    return;
  }
  c.get(f.reg[insn.src]!);
  const base = insn.imm & ~BPF_FETCH;
  c.atomic(dw ? RMW64[base]! : RMW32[base]!, align, off);
  if ((insn.imm & BPF_FETCH) !== 0) c.set(f.reg[insn.src]!);
  else c.op(Op.drop);
}

/** ld_imm64: a constant, a map's descriptor address, a map value's address, or a sub-program reference. */
export function emitLdImm64(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const L = f.L;
  switch (insn.src) {
    case BPF_PSEUDO_MAP_FD:
    case BPF_PSEUDO_MAP_IDX:
      c.i64Const(L.maps[insn.imm]!.desc);
      break;
    case BPF_PSEUDO_MAP_VALUE:
    case BPF_PSEUDO_MAP_IDX_VALUE:
      c.i64Const(L.maps[insn.imm]!.valueAddr! + insn.imm2);
      break;
    case BPF_PSEUDO_FUNC:
      // A code pointer is the sub-program's table slot (funcs index + 1), what call_indirect takes.
      c.i64Const(L.funcAt.get(insn.pc + insn.imm + 1)! + 1);
      break;
    default:
      c.i64Const((BigInt(insn.imm2) << 32n) | BigInt(insn.imm >>> 0));
  }
  c.set(f.reg[insn.dst]!);
}
