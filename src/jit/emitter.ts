// One Wasm function's code being emitted: its locals (r0..r10 as i64 locals, a few temporaries),
// where per-CPU values come from (cached locals in the event loop, globals in sub-programs), the
// instruction-index marks for insnAt, and the instruction dispatch. The per-concern translation is
// in alu.ts, jmp.ts, mem.ts and call.ts.

import { emitAlu } from './alu.js';
import { emitCall } from './call.js';
import type { Block, Cfg, Sink } from './cfg.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_IND, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX,
  FAULT_EXIT_WITH_LOCK, FAULT_LOOP_BUDGET, FAULT_UNSUPPORTED, type Insn, MAX_FRAMES, STACK_FRAME, isJump,
} from './isa.js';
import { type RegState, transfer, unknownState } from './known.js';
import { emitCond } from './jmp.js';
import type { Layout } from './layout.js';
import { emitLdImm64, emitLoad, emitStore, emitAtomic } from './mem.js';
import { Code, I32, I64, Op, type ValType } from './wasm.js';

export class FnEmitter implements Sink {
  readonly code = new Code(2048);
  /** Pairs (code position, instruction index); -1 marks glue that belongs to no instruction. */
  readonly marks: number[] = [];
  readonly locals: ValType[] = [];
  readonly reg = new Int32Array(11);
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly t0: number;
  readonly t1: number;
  readonly loopI: number;
  readonly loopN: number;
  readonly loopCtx: number;
  readonly labelLocal: number;
  /** Main only (the event loop): per-CPU values cached in locals for the run. -1 in sub-programs. */
  cpuLocal = -1;
  stackTopLocal = -1;
  stackLoLocal = -1;
  scratchLocal = -1;
  lockTagLocal = -1;
  eventLocal = -1;
  budgetLocal = -1;
  /** Main only: this CPU's first value of each PERCPU_ARRAY (values + cpu * slabStride), by map index. */
  readonly mapBase = new Map<number, number>();
  /** Sub-programs: the fp parameter (this frame's r10). */
  fpParam = -1;

  /** What each register holds before the instruction being translated (map/function references). */
  known: RegState = unknownState();
  private readonly entry: RegState[];

  readonly L: Layout;
  readonly cfg: Cfg;
  /** The event loop's inlined main program (true) or a sub-program's function. */
  readonly main: boolean;
  private readonly nParams: number;

  constructor(L: Layout, cfg: Cfg, entry: RegState[], main: boolean, nParams: number) {
    this.L = L;
    this.entry = entry;
    this.cfg = cfg;
    this.main = main;
    this.nParams = nParams;
    const i64 = (): number => this.local(I64);
    const i32 = (): number => this.local(I32);
    if (main) for (let r = 0; r <= 10; r++) this.reg[r] = i64();
    else {
      for (let r = 1; r <= 5; r++) this.reg[r] = r - 1;
      this.fpParam = 5;
      this.reg[0] = i64();
      for (let r = 6; r <= 10; r++) this.reg[r] = i64();
    }
    this.t0 = i64();
    this.t1 = i64();
    this.loopI = i64();
    this.loopN = i64();
    this.loopCtx = i64();
    this.a0 = i32();
    this.a1 = i32();
    this.a2 = i32();
    this.labelLocal = i32();
  }

  local(t: ValType): number {
    this.locals.push(t);
    return this.nParams + this.locals.length - 1;
  }

  mark(pc: number): void {
    this.marks.push(this.code.len, pc);
  }

  // ---- Per-CPU values: locals in the event loop, globals elsewhere ----

  cpu(): void {
    if (this.cpuLocal >= 0) this.code.get(this.cpuLocal);
    else this.code.globalGet(this.L.gCpu);
  }
  stackTop(): void {
    if (this.stackTopLocal >= 0) this.code.get(this.stackTopLocal);
    else this.code.globalGet(this.L.gStackTop);
  }
  /** The lowest stack address of this CPU (8 frames below stackTop). */
  stackLo(): void {
    if (this.stackLoLocal >= 0) this.code.get(this.stackLoLocal);
    else {
      this.code.globalGet(this.L.gStackTop);
      this.code.i32Const(MAX_FRAMES * STACK_FRAME);
      this.code.op(Op.i32_sub);
    }
  }
  scratch(): void {
    if (this.scratchLocal >= 0) this.code.get(this.scratchLocal);
    else this.code.globalGet(this.L.gScratch);
  }
  lockTag(): void {
    if (this.lockTagLocal >= 0) this.code.get(this.lockTagLocal);
    else this.code.globalGet(this.L.gLockTag);
  }
  eventIndex(): void {
    if (this.eventLocal >= 0) this.code.get(this.eventLocal);
    else this.code.globalGet(this.L.gEvent);
  }
  /** This frame's r10 as an i32. */
  fp(): void {
    if (this.fpParam >= 0) this.code.get(this.fpParam);
    else this.stackTop();
  }

  /** Calls the fault import (through the lock-releasing wrapper when locks are used); never returns. */
  fault(kind: number, pc: number, addr: () => void): void {
    const c = this.code;
    c.i32Const(kind);
    c.i32Const(pc);
    addr();
    c.call(this.L.fRaise);
    c.op(Op.unreachable);
  }

  /** Main: the budget local to the global before a call into a sub-program (it spends the global). */
  budgetToGlobal(): void {
    if (this.budgetLocal >= 0 && this.L.gBudget >= 0) {
      this.code.get(this.budgetLocal);
      this.code.globalSet(this.L.gBudget);
    }
  }
  budgetFromGlobal(): void {
    if (this.budgetLocal >= 0 && this.L.gBudget >= 0) {
      this.code.globalGet(this.L.gBudget);
      this.code.set(this.budgetLocal);
    }
  }

  // ---- Sink: what the structurer asks ----

  body(b: Block): void {
    this.known = this.entry[b.id]!.slice();
    for (const insn of b.insns) {
      this.mark(insn.pc);
      if (isJump(insn)) break; // the terminator: cond/exit/backEdge handle it
      this.insn(insn);
      transfer(insn, this.L.funcAt, this.known);
    }
  }

  cond(b: Block): void {
    if (b.term.kind !== 'cond') throw new Error('cond of a block without a conditional jump');
    emitCond(this, b.term.insn);
  }

  exit(b: Block, exitDepth: number): void {
    const c = this.code;
    const insn = b.insns[b.insns.length - 1]!;
    // Only the main program's exit may not hold a lock (the verifier checks frame 0 only: a
    // sub-program may return holding one for its caller to release).
    if (this.L.usesLocks && this.main) {
      c.globalGet(this.L.gHeld);
      c.if();
      this.fault(FAULT_EXIT_WITH_LOCK, insn.pc, () => c.globalGet(this.L.gHeld));
      c.end();
    }
    if (exitDepth >= 0) c.br(exitDepth);
    else {
      c.get(this.reg[0]!);
      c.op(Op.return);
    }
  }

  backEdge(b: Block): void {
    if (!this.L.needsBudget) return;
    const c = this.code;
    const last = b.insns[b.insns.length - 1]!;
    // At most loopBudget back edges per event: fault on the one after.
    const get = (): void => (this.budgetLocal >= 0 ? c.get(this.budgetLocal) : c.globalGet(this.L.gBudget));
    get();
    c.op(Op.i32_eqz);
    c.if();
    this.fault(FAULT_LOOP_BUDGET, last.pc, () => c.i32Const(0));
    c.end();
    get();
    c.i32Const(1);
    c.op(Op.i32_sub);
    if (this.budgetLocal >= 0) c.set(this.budgetLocal);
    else c.globalSet(this.L.gBudget);
  }

  // ---- Instructions ----

  private insn(insn: Insn): void {
    const cls = insn.code & 7;
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64:
        emitAlu(this, insn);
        return;
      case BPF_LDX:
        emitLoad(this, insn);
        return;
      case BPF_ST:
      case BPF_STX:
        if (cls === BPF_STX && (insn.code & 0xe0) === BPF_ATOMIC) emitAtomic(this, insn);
        else emitStore(this, insn);
        return;
      case BPF_LD: {
        const mode = insn.code & 0xe0;
        if (mode === BPF_ABS || mode === BPF_IND) {
          // Legacy packet loads (socket filters): not supported; the program stops here.
          this.fault(FAULT_UNSUPPORTED, insn.pc, () => this.code.i32Const(0));
          return;
        }
        emitLdImm64(this, insn);
        return;
      }
      case BPF_JMP:
        if ((insn.code & 0xf0) === BPF_CALL) {
          emitCall(this, insn);
          return;
        }
    }
    throw new Error(`translator: instruction ${insn.pc} (0x${insn.code.toString(16)}) reached the dispatch unhandled`);
  }
}
