// What the whole module provides to each function's code: indices of imports, globals and
// functions, decided before any body is emitted (Wasm numbers imports before definitions).

import type { Insn } from './isa.js';
import type { JitMap } from './types.js';

export interface Layout {
  program: string;
  slots: (Insn | undefined)[];
  maps: JitMap[];
  funcs: { name: string; start: number }[];
  checked: boolean;
  loopBudget: number;
  /** Some function has a back edge: events reset the budget, back edges spend it. */
  needsBudget: boolean;
  /** The program calls bpf_spin_lock: calls and exits check the held lock. */
  usesLocks: boolean;

  // Imported globals (-1 when not imported).
  gCpu: number;
  gStackTop: number;
  gCtx: number;
  gScratch: number;
  gLockTag: number;
  gRegions: number;
  gPidBase: number;
  gPids: number;
  // Own globals.
  gEvent: number;
  gHeld: number;
  gRng: number;
  /** The loop budget while a sub-program runs (the event loop keeps its own in a local). */
  gBudget: number;
  /** Checked mode: the region [lo, hi) that satisfied the last table check on this CPU (-1, -1: none). */
  gRegionLo: number;
  gRegionHi: number;
  /**
   * The main program's frame pointer for the next run() (0: this CPU's stack top). A tail call made
   * inside a sub-program runs its target in the sub-program's frame (the runtime sets this).
   */
  gFrame: number;

  // Functions.
  fFault: number;
  /** What fault sites call: fFault itself, or a wrapper releasing a held lock first. */
  fRaise: number;
  fSpinLockSlow: number;
  fOnReturn: number;
  /** A sub-program's bpf_tail_call that jumped: tailSub(pc, fp) runs the target in its frame, r0 to the helper area (-1: none). */
  fTailSub: number;
  fCheck: number;
  helperFunc: Map<number, number>;
  /** Wasm function index of funcs[k] translated as a function, -1 when it is not. */
  subFunc: Int32Array;
  /** funcs index by start slot. */
  funcAt: Map<number, number>;
  /** Type of a sub-program: (r1..r5 i64, fp i32) -> r0 i64. */
  subType: number;
  /** A table of sub-programs exists for call_indirect (slot k + 1 = funcs[k]). */
  table: boolean;
  unknownHelpers: Set<number>;
}
