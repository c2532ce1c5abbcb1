// How far into its context a program reads or writes: the kernel verifier's max_ctx_offset (the
// end of the furthest ctx access it saw, check_ctx_access). BPF_PROG_TEST_RUN refuses a raw_tp or
// syscall run whose ctx is shorter than that with -EINVAL, before the program runs, whatever path
// the run would take; so this is a static scan of every reachable instruction, not a run-time check.
//
// A forward data flow over each function's blocks: which registers (and which 8-byte stack slots,
// addressed from r10) hold the context pointer plus a known constant. r1 is the context at the
// main program's entry; a bpf-to-bpf call passes what r1..r5 hold to the callee. Anything else
// (arithmetic other than adding a constant, a merge of two different offsets) forgets it, as a
// pointer the verifier would not accept as PTR_TO_CTX anyway.

import { buildCfg, type Cfg } from './cfg.js';
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_JMP, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOV,
  BPF_PSEUDO_CALL, BPF_ST, BPF_STX, BPF_SUB, BPF_X, decode, sizeBytes, type Insn,
} from './isa.js';

/**
 * What a register or stack slot holds: the context pointer plus one of these offsets (one per path
 * that reached here), or [] for anything else. Paths that disagree keep every offset, so an access
 * counts for each, as the verifier walking each path would count it; past MAX_OFFSETS (a pointer
 * moving in a loop, which the verifier refuses anyway) it is 'lost' there for good.
 */
type Val = readonly number[] | 'lost';
const NONE: Val = [];
const MAX_OFFSETS = 8;
/** Registers r0..r10, then the stack slots by r10-relative offset. */
interface State {
  regs: Val[];
  slots: Map<number, Val>;
}

const same = (a: Val, b: Val): boolean => a === b || (a !== 'lost' && b !== 'lost' && a.length === b.length && a.every((x, i) => x === b[i]));

/** Where paths meet. Once lost, a value stays lost there, so the flow ends. */
function union(a: Val, b: Val): Val {
  if (a === 'lost' || b === 'lost') return 'lost';
  const u = [...new Set([...a, ...b])].sort((x, y) => x - y);
  return u.length > MAX_OFFSETS ? 'lost' : u;
}

/** The value moved by a constant (a pointer that is not the context stays so). */
const moved = (v: Val, by: number): Val => (v === 'lost' ? v : v.map((k) => k + by));

function copy(s: State): State {
  return { regs: s.regs.slice(), slots: new Map(s.slots) };
}

/** Merge `from` into `into`; true when `into` changed. */
function merge(into: State, from: State): boolean {
  let changed = false;
  for (let r = 0; r <= 10; r++) {
    const u = union(into.regs[r]!, from.regs[r]!);
    if (!same(u, into.regs[r]!)) {
      into.regs[r] = u;
      changed = true;
    }
  }
  for (const [off, v] of from.slots) {
    const u = union(into.slots.get(off) ?? NONE, v);
    if (!same(u, into.slots.get(off) ?? NONE)) {
      into.slots.set(off, u);
      changed = true;
    }
  }
  return changed;
}

/**
 * The end of the furthest context access of a program (0 when it touches no context), given its
 * linked instructions and function starts as the translator takes them. Call it on a program the
 * translator accepted: malformed code throws the translator's JitError.
 */
export function ctxAccessEnd(name: string, insns: Uint8Array, funcs: readonly { name: string; start: number }[]): number {
  const slots = decode(name, insns);
  const starts = (funcs.length > 0 ? funcs.map((f) => f.start) : [0]).sort((a, b) => a - b);
  const cfgs: Cfg[] = starts.map((lo, k) => buildCfg(name, slots, lo, k + 1 < starts.length ? starts[k + 1]! : slots.length));
  const funcOf = new Map(starts.map((s, k) => [s, k]));
  // Each function's entry state: the main program's r1 is the context; callees start unknown
  // (undefined) until a call reaches them.
  const entry: (State | undefined)[] = starts.map(() => undefined);
  entry[0] = { regs: [NONE, [0], NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE], slots: new Map() };
  let end = 0;
  let dirty = true;
  while (dirty) {
    dirty = false;
    cfgs.forEach((cfg, k) => {
      const start = entry[k];
      if (start === undefined) return;
      const at: (State | undefined)[] = [];
      at[cfg.order[0]!.id] = copy(start);
      // Blocks in reverse postorder until nothing changes (loops go around again).
      for (let again = true; again; ) {
        again = false;
        for (const b of cfg.order) {
          const s0 = at[b.id];
          if (s0 === undefined) continue;
          const s = copy(s0);
          for (const insn of b.insns) {
            end = Math.max(end, access(insn, s));
            const callee = step(insn, s, funcOf);
            if (callee >= 0) {
              const args: State = { regs: [NONE, ...s.regs.slice(1, 6), NONE, NONE, NONE, NONE, NONE], slots: new Map() };
              const e = entry[callee];
              if (e === undefined) {
                entry[callee] = args;
                dirty = true;
              } else if (merge(e, args)) dirty = true;
              for (let r = 0; r <= 5; r++) s.regs[r] = NONE;
            }
          }
          for (const succ of b.succs) {
            const t = at[succ];
            if (t === undefined) {
              at[succ] = copy(s);
              again = true;
            } else if (merge(t, s)) again = true;
          }
        }
      }
    });
  }
  return end;
}

/** The end of the context bytes `insn` touches, or 0. */
function access(insn: Insn, s: State): number {
  const cls = insn.code & 7;
  const mode = insn.code & 0xe0;
  let base = -1;
  if (cls === BPF_LDX && (mode === BPF_MEM || mode === BPF_MEMSX)) base = insn.src;
  else if ((cls === BPF_STX || cls === BPF_ST) && (mode === BPF_MEM || mode === BPF_ATOMIC)) base = insn.dst;
  if (base < 0) return 0;
  let end = 0;
  const v = s.regs[base]!;
  if (v !== 'lost') for (const k of v) end = Math.max(end, k + insn.off + sizeBytes(insn.code));
  return end;
}

/** How `insn` changes what holds the context; a bpf-to-bpf call returns the callee's index (else -1). */
function step(insn: Insn, s: State, funcOf: Map<number, number>): number {
  const cls = insn.code & 7;
  const r = s.regs;
  if (insn.code === (BPF_JMP | BPF_CALL)) {
    if (insn.src === BPF_PSEUDO_CALL) return funcOf.get(insn.pc + insn.imm + 1) ?? -1;
    for (let i = 0; i <= 5; i++) r[i] = NONE;
    return -1;
  }
  if (cls === BPF_ALU64) {
    const op = insn.code & 0xf0;
    const x = (insn.code & BPF_X) !== 0;
    if (op === BPF_MOV && x && insn.off === 0) r[insn.dst] = r[insn.src]!;
    else if (op === BPF_ADD && !x) r[insn.dst] = moved(r[insn.dst]!, insn.imm);
    else if (op === BPF_SUB && !x) r[insn.dst] = moved(r[insn.dst]!, -insn.imm);
    else r[insn.dst] = NONE;
    return -1;
  }
  const mode = insn.code & 0xe0;
  if (cls === BPF_STX && mode === BPF_MEM && insn.dst === 10) {
    // A spill: only a whole 8-byte store of the pointer keeps it.
    if ((insn.code & 0x18) === BPF_DW) s.slots.set(insn.off, r[insn.src]!);
    else s.slots.delete(insn.off);
    return -1;
  }
  if ((cls === BPF_ST || (cls === BPF_STX && mode === BPF_ATOMIC)) && insn.dst === 10) s.slots.delete(insn.off);
  if (cls === BPF_STX && mode === BPF_ATOMIC) {
    // Fetching atomics write a register: src, or r0 for cmpxchg.
    if (insn.imm & BPF_FETCH) r[insn.imm === BPF_CMPXCHG ? 0 : insn.src] = NONE;
    return -1;
  }
  if (cls === BPF_LDX) {
    r[insn.dst] = insn.src === 10 && mode === BPF_MEM && (insn.code & 0x18) === BPF_DW ? (s.slots.get(insn.off) ?? NONE) : NONE;
    return -1;
  }
  if (cls === BPF_LD || cls === BPF_ALU) r[insn.dst] = NONE;
  return -1;
}
