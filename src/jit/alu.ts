// ALU and ALU64: the kernel's arithmetic rules (kernel/bpf/core.c's interpreter and the verifier's
// fix-ups) on i64 locals. A 32-bit operation works on the low halves and zero-extends its result.
// Wasm already masks shift counts (& 31 / & 63) as BPF does. Division is where the two differ:
// Wasm traps on a zero divisor and on INT_MIN s/ -1, BPF does not (x / 0 = 0, x % 0 = x with the
// 32-bit form zero-extending it, INT_MIN s/ -1 = INT_MIN, x s% -1 = 0), so those are guarded.

import type { FnEmitter } from './emitter.js';
import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_RSH, BPF_SUB, BPF_X, BPF_XOR, type Insn,
} from './isa.js';
import { I64, Op } from './wasm.js';

const OP64: Record<number, number> = {
  [BPF_ADD]: Op.i64_add, [BPF_SUB]: Op.i64_sub, [BPF_MUL]: Op.i64_mul, [BPF_OR]: Op.i64_or,
  [BPF_AND]: Op.i64_and, [BPF_XOR]: Op.i64_xor, [BPF_LSH]: Op.i64_shl, [BPF_RSH]: Op.i64_shr_u,
  [BPF_ARSH]: Op.i64_shr_s,
};
const OP32: Record<number, number> = {
  [BPF_ADD]: Op.i32_add, [BPF_SUB]: Op.i32_sub, [BPF_MUL]: Op.i32_mul, [BPF_OR]: Op.i32_or,
  [BPF_AND]: Op.i32_and, [BPF_XOR]: Op.i32_xor, [BPF_LSH]: Op.i32_shl, [BPF_RSH]: Op.i32_shr_u,
  [BPF_ARSH]: Op.i32_shr_s,
};

export function emitAlu(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const is64 = (insn.code & 7) === BPF_ALU64;
  const op = insn.code & 0xf0;
  const x = (insn.code & BPF_X) !== 0;
  const dst = f.reg[insn.dst]!;
  const src = f.reg[insn.src]!;
  // The source operand: a register, or imm (sign-extended for 64-bit operations).
  const src64 = (): void => (x ? c.get(src) : c.i64Const(insn.imm));
  const src32 = (): void => {
    if (x) {
      c.get(src);
      c.op(Op.i32_wrap_i64);
    } else c.i32Const(insn.imm);
  };
  const dst32 = (): void => {
    c.get(dst);
    c.op(Op.i32_wrap_i64);
  };
  const zext = (): void => c.op(Op.i64_extend_i32_u);

  switch (op) {
    case BPF_MOV:
      if (insn.off !== 0) {
        // MOVSX (cpu v4): sign-extend the source's low 8/16/32 bits; the 32-bit form then zero-extends.
        c.get(src);
        if (is64) c.op(insn.off === 8 ? Op.i64_extend8_s : insn.off === 16 ? Op.i64_extend16_s : Op.i64_extend32_s);
        else {
          c.op(Op.i32_wrap_i64);
          c.op(insn.off === 8 ? Op.i32_extend8_s : Op.i32_extend16_s);
          zext();
        }
      } else if (is64) src64();
      else if (x) {
        src32();
        zext();
      } else c.i64Const(insn.imm >>> 0);
      c.set(dst);
      return;
    case BPF_NEG:
      if (is64) {
        c.i64Const(0);
        c.get(dst);
        c.op(Op.i64_sub);
      } else {
        c.i32Const(0);
        dst32();
        c.op(Op.i32_sub);
        zext();
      }
      c.set(dst);
      return;
    case BPF_DIV:
    case BPF_MOD:
      emitDivMod(f, insn, is64, op === BPF_DIV, insn.off === 1);
      return;
    case BPF_END:
      emitEnd(f, insn, is64);
      return;
  }
  if (is64) {
    c.get(dst);
    src64();
    c.op(OP64[op]!);
  } else {
    dst32();
    src32();
    c.op(OP32[op]!);
    zext();
  }
  c.set(dst);
}

function emitDivMod(f: FnEmitter, insn: Insn, is64: boolean, div: boolean, signed: boolean): void {
  const c = f.code;
  const dst = f.reg[insn.dst]!;
  const x = (insn.code & BPF_X) !== 0;
  const src = f.reg[insn.src]!;
  const operand = (): void => {
    c.get(dst);
    if (!is64) c.op(Op.i32_wrap_i64);
  };
  const divisor = (): void => {
    if (x) {
      c.get(src);
      if (!is64) c.op(Op.i32_wrap_i64);
    } else if (is64) c.i64Const(insn.imm);
    else c.i32Const(insn.imm);
  };
  // Results as i64 for the register (the 32-bit ones zero-extended).
  const byZero = (): void => {
    if (div) c.i64Const(0);
    else if (is64) c.get(dst);
    else {
      operand();
      c.op(Op.i64_extend_i32_u);
    }
  };
  const byMinusOne = (): void => {
    // x s/ -1 = -x (INT_MIN stays INT_MIN); x s% -1 = 0.
    if (!div) c.i64Const(0);
    else if (is64) {
      c.i64Const(0);
      c.get(dst);
      c.op(Op.i64_sub);
    } else {
      c.i32Const(0);
      operand();
      c.op(Op.i32_sub);
      c.op(Op.i64_extend_i32_u);
    }
  };
  const plain = (): void => {
    operand();
    divisor();
    if (is64) c.op(div ? (signed ? Op.i64_div_s : Op.i64_div_u) : signed ? Op.i64_rem_s : Op.i64_rem_u);
    else {
      c.op(div ? (signed ? Op.i32_div_s : Op.i32_div_u) : signed ? Op.i32_rem_s : Op.i32_rem_u);
      c.op(Op.i64_extend_i32_u);
    }
  };
  if (!x) {
    // A constant divisor: the verifier refuses 0, but its meaning is defined, so keep it.
    if (insn.imm === 0) byZero();
    else if (signed && div && insn.imm === -1) byMinusOne();
    else plain();
    c.set(dst);
    return;
  }
  divisor();
  c.op(is64 ? Op.i64_eqz : Op.i32_eqz);
  c.if(I64);
  byZero();
  c.else();
  if (signed && div) {
    // Wasm's rem_s gives 0 for INT_MIN % -1 (no trap); only div_s needs the -1 case.
    divisor();
    if (is64) {
      c.i64Const(-1);
      c.op(Op.i64_eq);
    } else {
      c.i32Const(-1);
      c.op(Op.i32_eq);
    }
    c.if(I64);
    byMinusOne();
    c.else();
    plain();
    c.end();
  } else plain();
  c.end();
  c.set(dst);
}

/** bswap32 of the i32 on the stack (uses a0): ((x & 0xff00ff00) rotl 8) | ((x & 0x00ff00ff) rotr 8). */
function bswap32(f: FnEmitter): void {
  const c = f.code;
  c.tee(f.a0);
  c.i32Const(0xff00ff00 | 0);
  c.op(Op.i32_and);
  c.i32Const(8);
  c.op(Op.i32_rotl);
  c.get(f.a0);
  c.i32Const(0x00ff00ff);
  c.op(Op.i32_and);
  c.i32Const(8);
  c.op(Op.i32_rotr);
  c.op(Op.i32_or);
}

function emitEnd(f: FnEmitter, insn: Insn, is64: boolean): void {
  const c = f.code;
  const dst = f.reg[insn.dst]!;
  const width = insn.imm;
  // ALU64 END is an unconditional swap; ALU END swaps for TO_BE only (little-endian host).
  const swap = is64 || (insn.code & BPF_X) !== 0;
  if (!swap) {
    // to_le: truncate to the width (64: nothing to do).
    if (width === 64) return;
    c.get(dst);
    c.i64Const(width === 16 ? 0xffff : 0xffffffff);
    c.op(Op.i64_and);
    c.set(dst);
    return;
  }
  if (width === 16) {
    c.get(dst);
    c.i64Const(8);
    c.op(Op.i64_shr_u);
    c.i64Const(0xff);
    c.op(Op.i64_and);
    c.get(dst);
    c.i64Const(0xff);
    c.op(Op.i64_and);
    c.i64Const(8);
    c.op(Op.i64_shl);
    c.op(Op.i64_or);
  } else if (width === 32) {
    c.get(dst);
    c.op(Op.i32_wrap_i64);
    bswap32(f);
    c.op(Op.i64_extend_i32_u);
  } else {
    // Each half swapped, and the halves exchanged.
    c.get(dst);
    c.op(Op.i32_wrap_i64);
    bswap32(f);
    c.op(Op.i64_extend_i32_u);
    c.i64Const(32);
    c.op(Op.i64_shl);
    c.get(dst);
    c.i64Const(32);
    c.op(Op.i64_shr_u);
    c.op(Op.i32_wrap_i64);
    bswap32(f);
    c.op(Op.i64_extend_i32_u);
    c.op(Op.i64_or);
  }
  c.set(dst);
}
