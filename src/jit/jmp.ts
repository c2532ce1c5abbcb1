// Conditional jumps: the condition as an i32 (the structurer places the branches). JMP compares the
// 64-bit registers (imm sign-extended), JMP32 their low halves.

import type { FnEmitter } from './emitter.js';
import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE,
  BPF_JSLT, BPF_X, type Insn,
} from './isa.js';
import { Op } from './wasm.js';

const CMP64: Record<number, number> = {
  [BPF_JEQ]: Op.i64_eq, [BPF_JNE]: Op.i64_ne, [BPF_JGT]: Op.i64_gt_u, [BPF_JGE]: Op.i64_ge_u,
  [BPF_JLT]: Op.i64_lt_u, [BPF_JLE]: Op.i64_le_u, [BPF_JSGT]: Op.i64_gt_s, [BPF_JSGE]: Op.i64_ge_s,
  [BPF_JSLT]: Op.i64_lt_s, [BPF_JSLE]: Op.i64_le_s,
};
const CMP32: Record<number, number> = {
  [BPF_JEQ]: Op.i32_eq, [BPF_JNE]: Op.i32_ne, [BPF_JGT]: Op.i32_gt_u, [BPF_JGE]: Op.i32_ge_u,
  [BPF_JLT]: Op.i32_lt_u, [BPF_JLE]: Op.i32_le_u, [BPF_JSGT]: Op.i32_gt_s, [BPF_JSGE]: Op.i32_ge_s,
  [BPF_JSLT]: Op.i32_lt_s, [BPF_JSLE]: Op.i32_le_s,
};

export function emitCond(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const op = insn.code & 0xf0;
  const is32 = (insn.code & 7) === BPF_JMP32;
  const x = (insn.code & BPF_X) !== 0;
  c.get(f.reg[insn.dst]!);
  if (is32) {
    c.op(Op.i32_wrap_i64);
    if (x) {
      c.get(f.reg[insn.src]!);
      c.op(Op.i32_wrap_i64);
    } else c.i32Const(insn.imm);
    if (op === BPF_JSET) {
      c.op(Op.i32_and);
      c.i32Const(0);
      c.op(Op.i32_ne);
    } else c.op(CMP32[op]!);
  } else {
    if (x) c.get(f.reg[insn.src]!);
    else c.i64Const(insn.imm);
    if (op === BPF_JSET) {
      c.op(Op.i64_and);
      c.i64Const(0);
      c.op(Op.i64_ne);
    } else c.op(CMP64[op]!);
  }
}
