// What registers are known to hold at each instruction: a map reference (ld_imm64 of a map) or a
// sub-program reference (ld_imm64 of a function), tracked inside a block and into a block whose
// only predecessor is earlier in reverse postorder (enough for clang, which loads the map right
// before the call). Lets map_lookup_elem on an array map be inlined and bpf_loop call its callback
// directly, and tells the translator before any code is emitted whether h1 or a table is needed.

import type { Cfg } from './cfg.js';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_FETCH, BPF_JMP, BPF_LD, BPF_LDX, BPF_MOV,
  BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_STX, BPF_X, type Insn,
} from './isa.js';

export const UNKNOWN = 0;
export const KNOWN_MAP = 1;
export const KNOWN_FUNC = 2;

/**
 * Per register r: s[r] = kind (UNKNOWN, KNOWN_MAP, KNOWN_FUNC), s[11 + r] = value (map index or
 * funcs index). A plain array: states are copied per block, and small arrays are cheap to copy.
 */
export type RegState = number[];

export const VAL = 11;

export function unknownState(): RegState {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** How one instruction changes the state (r10 is never written). */
export function transfer(insn: Insn, funcAt: Map<number, number>, s: RegState): void {
  const cls = insn.code & 7;
  if (cls === BPF_LD && insn.wide) {
    const src = insn.src;
    if (src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX) {
      s[insn.dst] = KNOWN_MAP;
      s[VAL + insn.dst] = insn.imm;
    } else if (src === BPF_PSEUDO_FUNC) {
      s[insn.dst] = KNOWN_FUNC;
      s[VAL + insn.dst] = funcAt.get(insn.pc + insn.imm + 1)!;
    } else s[insn.dst] = UNKNOWN;
  } else if (insn.code === (BPF_ALU64 | BPF_MOV | BPF_X) && insn.off === 0) {
    s[insn.dst] = s[insn.src]!;
    s[VAL + insn.dst] = s[VAL + insn.src]!;
  } else if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX) s[insn.dst] = UNKNOWN;
  else if (cls === BPF_STX && (insn.code & 0xe0) === BPF_ATOMIC) {
    if (insn.imm === BPF_CMPXCHG) s[0] = UNKNOWN;
    else if ((insn.imm & BPF_FETCH) !== 0) s[insn.src] = UNKNOWN;
  } else if (insn.code === (BPF_JMP | BPF_CALL)) for (let r = 0; r <= 5; r++) s[r] = UNKNOWN;
}

/** The state at each reachable block's entry, by block id. */
export function entryStates(cfg: Cfg, funcAt: Map<number, number>): RegState[] {
  const entry: RegState[] = [];
  const exit: RegState[] = [];
  for (const b of cfg.order) {
    let s = unknownState();
    if (b.preds.length === 1) {
      const p = cfg.blocks[b.preds[0]!]!;
      if (p.rpo < b.rpo) s = exit[p.id]!.slice();
    }
    entry[b.id] = s.slice();
    for (const insn of b.insns) transfer(insn, funcAt, s);
    exit[b.id] = s;
  }
  return entry;
}

/** Calls `visit` with each reachable instruction and the state just before it. */
export function forEachWithState(cfg: Cfg, entry: RegState[], funcAt: Map<number, number>, visit: (insn: Insn, s: RegState) => void): void {
  for (const b of cfg.order) {
    const s = entry[b.id]!.slice();
    for (const insn of b.insns) {
      visit(insn, s);
      transfer(insn, funcAt, s);
    }
  }
}
