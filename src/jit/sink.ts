// The instruction side of the structurer (cfg.ts's Sink) for one function: each block's
// instructions dispatched by class to the per-concern translators (alu.ts, jmp.ts, mem.ts,
// call.ts), and the block ends the structurer asks for (conditions, exits, loop back edges).
// Kept apart from emitter.ts, whose state the per-concern files write through, so they import
// it without importing this dispatch back.

import { emitAlu } from './alu.js';
import { emitCall } from './call.js';
import type { Block, Sink } from './cfg.js';
import type { FnEmitter } from './emitter.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_IND, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX,
  FAULT_EXIT_WITH_LOCK, FAULT_LOOP_BUDGET, FAULT_UNSUPPORTED, type Insn, isJump,
} from './isa.js';
import { transfer } from './known.js';
import { emitCond } from './jmp.js';
import { emitLdImm64, emitLoad, emitStore, emitAtomic } from './mem.js';
import { Op } from './wasm.js';

export class InsnSink implements Sink {
  private readonly f: FnEmitter;
  readonly code: FnEmitter['code'];
  readonly labelLocal: number;

  constructor(f: FnEmitter) {
    this.f = f;
    this.code = f.code;
    this.labelLocal = f.labelLocal;
  }

  body(b: Block): void {
    this.f.known = this.f.entry[b.id]!.slice();
    for (const insn of b.insns) {
      this.f.mark(insn.pc);
      if (isJump(insn)) break; // the terminator: cond/exit/backEdge handle it
      this.insn(insn);
      transfer(insn, this.f.L.funcAt, this.f.known);
    }
  }

  cond(b: Block): void {
    if (b.term.kind !== 'cond') throw new Error('cond of a block without a conditional jump');
    emitCond(this.f, b.term.insn);
  }

  exit(b: Block, exitDepth: number): void {
    const c = this.f.code;
    const insn = b.insns[b.insns.length - 1]!;
    // Only the main program's exit may not hold a lock (the verifier checks frame 0 only: a
    // sub-program may return holding one for its caller to release).
    if (this.f.L.usesLocks && this.f.main) {
      c.globalGet(this.f.L.gHeld);
      c.if();
      this.f.fault(FAULT_EXIT_WITH_LOCK, insn.pc, () => c.globalGet(this.f.L.gHeld));
      c.end();
    }
    if (exitDepth >= 0) c.br(exitDepth);
    else {
      c.get(this.f.reg[0]!);
      c.op(Op.return);
    }
  }

  backEdge(b: Block): void {
    if (!this.f.L.needsBudget) return;
    const c = this.f.code;
    const last = b.insns[b.insns.length - 1]!;
    // At most loopBudget back edges per event: fault on the one after.
    const get = (): void => (this.f.budgetLocal >= 0 ? c.get(this.f.budgetLocal) : c.globalGet(this.f.L.gBudget));
    get();
    c.op(Op.i32_eqz);
    c.if();
    this.f.fault(FAULT_LOOP_BUDGET, last.pc, () => c.i32Const(0));
    c.end();
    get();
    c.i32Const(1);
    c.op(Op.i32_sub);
    if (this.f.budgetLocal >= 0) c.set(this.f.budgetLocal);
    else c.globalSet(this.f.L.gBudget);
  }

  // ---- Instructions ----

  private insn(insn: Insn): void {
    const cls = insn.code & 7;
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64:
        emitAlu(this.f, insn);
        return;
      case BPF_LDX:
        emitLoad(this.f, insn);
        return;
      case BPF_ST:
      case BPF_STX:
        if (cls === BPF_STX && (insn.code & 0xe0) === BPF_ATOMIC) emitAtomic(this.f, insn);
        else emitStore(this.f, insn);
        return;
      case BPF_LD: {
        const mode = insn.code & 0xe0;
        if (mode === BPF_ABS || mode === BPF_IND) {
          // Legacy packet loads (socket filters): not supported; the program stops here.
          this.f.fault(FAULT_UNSUPPORTED, insn.pc, () => this.f.code.i32Const(0));
          return;
        }
        emitLdImm64(this.f, insn);
        return;
      }
      case BPF_JMP:
        if ((insn.code & 0xf0) === BPF_CALL) {
          emitCall(this.f, insn);
          return;
        }
    }
    throw new Error(`translator: instruction ${insn.pc} (0x${insn.code.toString(16)}) reached the dispatch unhandled`);
  }
}
