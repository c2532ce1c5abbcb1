// One Wasm function's code being emitted: its locals (r0..r10 as i64 locals, a few temporaries),
// where per-CPU values come from (cached locals in the event loop, globals in sub-programs) and the
// instruction-index marks for insnAt. The per-concern translation (alu.ts, jmp.ts, mem.ts, call.ts)
// writes through it; sink.ts walks the blocks and dispatches each instruction to them.

import type { Cfg } from './cfg.js';
import { MAX_FRAMES, STACK_FRAME } from './isa.js';
import { type RegState, unknownState } from './known.js';
import type { Layout } from './layout.js';
import { Code, I32, I64, Op, type ValType } from './wasm.js';

export class FnEmitter {
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
  /** Main: r10 as an i32 (the stack top, or the frame a tail call's target was given). */
  frameLocal = -1;
  /** Main only: this CPU's first value of each PERCPU_ARRAY (values + cpu * slabStride), by map index. */
  readonly mapBase = new Map<number, number>();
  private readonly extra32: number[] = [];
  /** Sub-programs: the fp parameter (this frame's r10). */
  fpParam = -1;

  /** What each register holds before the instruction being translated (map/function references). */
  known: RegState = unknownState();
  /** Register knowledge at each block's entry (known.ts), by block id. */
  readonly entry: RegState[];

  readonly L: Layout;
  readonly cfg: Cfg;
  /** The event loop's inlined main program (true) or a sub-program's function. */
  readonly main: boolean;
  private readonly nParams: number;
  /**
   * Main only: leaves run() at once after a tail call jumped, returning the events finished before
   * this one (the runtime then runs the target for this event; translate.ts sets it).
   */
  tailExit: (() => void) | null = null;

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

  /** n i32 temporaries for inlined map walks (htab.ts), made on first use and shared by every call site. */
  temps32(n: number): number[] {
    while (this.extra32.length < n) this.extra32.push(this.local(I32));
    return this.extra32;
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
    else if (this.frameLocal >= 0) this.code.get(this.frameLocal);
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
}
