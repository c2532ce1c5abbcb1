// Calls: bpf-to-bpf calls (a Wasm call with r1..r5 and the callee's frame pointer, r10 - 512,
// returning r0), helpers lowered inline (array lookups as the kernel's map_gen_lookup, hash lookups
// as htab_map_gen_lookup in htab.ts, the CPU id,
// pid/tgid, a per-CPU random generator, bpf_spin_lock/unlock on the shared lock word, bpf_loop), and
// the rest as imports `h<id>(pc)` reading r1..r5 from this CPU's scratch area. While a
// bpf_spin_lock is held any helper call but bpf_spin_unlock faults, as the verifier refuses it.
//
// bpf_tail_call: the import h12 decides (slot, count) and names the target to the runtime; when it
// jumps, the function must not go on, and a Wasm function cannot jump into another module's code.
// From the main program, run() returns before this event (tailExit) and the runtime runs the
// target on the same context and stack: one JS step per tail call, no recursion. From a
// sub-program, the kernel's JIT replaces only that function's frame: the target runs in it and its
// r0 returns to the sub-program's caller, which goes on (the live kernel shows it). So the import
// tailSub(pc, fp) runs the target (and its own tail calls) in this frame and leaves its r0 in the
// helper area, and the sub-program returns it; nesting is bounded by the 33 tail calls an event.

import type { FnEmitter } from './emitter.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAX_LOOPS, BPF_PSEUDO_CALL, E2BIG, EINVAL, FAULT_BAD_UNLOCK,
  FAULT_CALL_DEPTH, FAULT_CALL_WITH_LOCK, FAULT_DOUBLE_LOCK, FAULT_UNKNOWN_HELPER, FAULT_UNSUPPORTED,
  HELPER_GET_CURRENT_PID_TGID, HELPER_GET_PRANDOM_U32, HELPER_GET_SMP_PROCESSOR_ID, HELPER_LOOP,
  HELPER_MAP_LOOKUP_ELEM, HELPER_SPIN_LOCK, HELPER_SPIN_UNLOCK, HELPER_TAIL_CALL, type Insn, STACK_FRAME, helperInfo,
} from './isa.js';
import { KNOWN_FUNC, KNOWN_MAP, type RegState, VAL } from './known.js';
import { emitHashLookup, isInlinableHash } from './htab.js';
import { emitAddr, emitForgetRegion } from './mem.js';
import type { JitMap } from './types.js';
import { AtomicOp, type Code, I32, I64, Op } from './wasm.js';

export function emitCall(f: FnEmitter, insn: Insn): void {
  if (insn.src === BPF_PSEUDO_CALL) {
    emitLocalCall(f, insn);
    return;
  }
  const id = insn.imm;
  const info = helperInfo(id);
  if (info === undefined || f.L.unknownHelpers.has(id)) {
    f.fault(FAULT_UNKNOWN_HELPER, insn.pc, () => f.code.i32Const(id));
    return;
  }
  if (id !== HELPER_SPIN_LOCK && id !== HELPER_SPIN_UNLOCK) heldCheck(f, insn);
  if (info.how === 'fault') {
    f.fault(FAULT_UNSUPPORTED, insn.pc, () => f.code.i32Const(0));
    return;
  }
  switch (id) {
    case HELPER_MAP_LOOKUP_ELEM: {
      const map = inlinableLookup(f.L.maps, f.known);
      if (map >= 0) {
        if (isInlinableHash(f.L.maps[map]!)) emitHashLookup(f, insn, f.L.maps[map]!);
        else inlineLookup(f, insn, map);
        return;
      }
      break;
    }
    case HELPER_GET_SMP_PROCESSOR_ID:
      f.cpu();
      f.code.op(Op.i64_extend_i32_u);
      f.code.set(f.reg[0]!);
      return;
    case HELPER_GET_CURRENT_PID_TGID:
      pidTgid(f);
      return;
    case HELPER_GET_PRANDOM_U32:
      prandom(f);
      return;
    case HELPER_SPIN_LOCK:
      spinLock(f, insn);
      return;
    case HELPER_SPIN_UNLOCK:
      spinUnlock(f, insn);
      return;
    case HELPER_LOOP:
      bpfLoop(f, insn);
      return;
    case HELPER_TAIL_CALL:
      tailCall(f, insn);
      return;
  }
  importedHelper(f, insn, id);
}

/**
 * bpf_tail_call(ctx, prog_array, index): h12 returns 1 when it jumped (the target is noted for
 * the runtime), 0 when it falls through; then r0 keeps its value, as the kernel's JIT leaves it.
 */
function tailCall(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  for (let r = 1; r <= 3; r++) {
    f.scratch();
    c.get(f.reg[r]!);
    c.mem(Op.i64_store, 3, (r - 1) * 8);
  }
  c.i32Const(insn.pc);
  c.call(f.L.helperFunc.get(HELPER_TAIL_CALL)!);
  c.if();
  if (f.main) f.tailExit!();
  else {
    c.i32Const(insn.pc);
    f.fp();
    c.call(f.L.fTailSub);
    f.scratch();
    c.mem(Op.i64_load, 3, 40);
    c.op(Op.return);
  }
  c.end();
}

/** A call while a bpf_spin_lock is held faults (kind 4), naming the held lock. */
function heldCheck(f: FnEmitter, insn: Insn): void {
  if (!f.L.usesLocks) return;
  const c = f.code;
  c.globalGet(f.L.gHeld);
  c.if();
  f.fault(FAULT_CALL_WITH_LOCK, insn.pc, () => c.globalGet(f.L.gHeld));
  c.end();
}

/**
 * Pushes the callee's frame pointer (this frame's r10 - 512), after a fault when that would be a
 * ninth frame (the main program checks too: a tail call's target may run in a sub-program's frame).
 */
function calleeFrame(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  f.fp();
  c.i32Const(STACK_FRAME);
  c.op(Op.i32_sub);
  c.tee(f.a2);
  f.stackLo();
  c.op(Op.i32_le_u);
  c.if();
  f.fault(FAULT_CALL_DEPTH, insn.pc, () => c.get(f.a2));
  c.end();
  c.get(f.a2);
}

function emitLocalCall(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  // No held-lock check: the kernel (6.9+, checked on 6.18) lets a static sub-program run inside a
  // bpf_spin_lock section, take the lock or release the caller's; it refuses global ones at load.
  const target = f.L.funcAt.get(insn.pc + insn.imm + 1)!;
  for (let r = 1; r <= 5; r++) c.get(f.reg[r]!);
  calleeFrame(f, insn);
  f.budgetToGlobal();
  c.call(f.L.subFunc[target]!);
  c.set(f.reg[0]!);
  f.budgetFromGlobal();
}

/**
 * The map index of a lookup the translator inlines (r1 a known ARRAY/PERCPU_ARRAY, or a hash map of
 * the four hash types, with its layout given), or -1.
 */
export function inlinableLookup(maps: JitMap[], s: RegState): number {
  if (s[1] !== KNOWN_MAP) return -1;
  const map = maps[s[VAL + 1]!]!;
  const isArray = map.type === BPF_MAP_TYPE_ARRAY || map.type === BPF_MAP_TYPE_PERCPU_ARRAY;
  return (isArray && map.array !== undefined) || isInlinableHash(map) ? s[VAL + 1]! : -1;
}

/** The funcs index of bpf_loop's callback when r2 is a known function reference, or -1. */
export function knownCallback(s: RegState): number {
  return s[2] === KNOWN_FUNC ? s[VAL + 2]! : -1;
}

/** bpf_map_lookup_elem on a known ARRAY/PERCPU_ARRAY: key < max_entries ? this CPU's element : NULL. */
function inlineLookup(f: FnEmitter, insn: Insn, mapIndex: number): void {
  const map = f.L.maps[mapIndex]!;
  const { values, elemSize, slabStride } = map.array!;
  const c = f.code;
  const off = emitAddr(f, 2, 0, 4, insn.pc);
  c.mem(Op.i32_load, 0, off);
  c.tee(f.a1);
  c.i32Const(map.maxEntries);
  c.op(Op.i32_lt_u);
  c.if(I64);
  const base = f.mapBase.get(mapIndex);
  if (base !== undefined) c.get(base);
  else {
    c.i32Const(values);
    if (slabStride !== 0) {
      f.cpu();
      c.i32Const(slabStride);
      c.op(Op.i32_mul);
      c.op(Op.i32_add);
    }
  }
  c.get(f.a1);
  c.i32Const(elemSize);
  c.op(Op.i32_mul);
  c.op(Op.i32_add);
  c.op(Op.i64_extend_i32_u);
  c.else();
  c.i64Const(0);
  c.end();
  c.set(f.reg[0]!);
}

/** tgid << 32 | pid, the task of this event: pid = pidBase + event % pids (tgid = pid). */
function pidTgid(f: FnEmitter): void {
  const c = f.code;
  const L = f.L;
  c.globalGet(L.gPidBase);
  c.globalGet(L.gPids);
  c.op(Op.i32_eqz);
  c.if(I32);
  c.i32Const(0);
  c.else();
  f.eventIndex();
  c.globalGet(L.gPids);
  c.op(Op.i32_rem_u);
  c.end();
  c.op(Op.i32_add);
  c.op(Op.i64_extend_i32_u);
  c.tee(f.t0);
  c.i64Const(32);
  c.op(Op.i64_shl);
  c.get(f.t0);
  c.op(Op.i64_or);
  c.set(f.reg[0]!);
}

/** xorshift64 on this instance's state (seeded from the CPU id at instantiation); r0 = the high half. */
function prandom(f: FnEmitter): void {
  const c = f.code;
  const t = f.t0;
  const step = (shift: number, op: number): void => {
    c.get(t);
    c.get(t);
    c.i64Const(shift);
    c.op(op);
    c.op(Op.i64_xor);
    c.set(t);
  };
  c.globalGet(f.L.gRng);
  c.set(t);
  step(13, Op.i64_shl);
  step(7, Op.i64_shr_u);
  step(17, Op.i64_shl);
  c.get(t);
  c.globalSet(f.L.gRng);
  c.get(t);
  c.i64Const(32);
  c.op(Op.i64_shr_u);
  c.set(f.reg[0]!);
}

/**
 * bpf_spin_lock(r1): compare-and-swap 0 -> this CPU's lock tag; on contention the JS slow path parks
 * and returns holding it (the lock word protocol of src/sync/spinlock.ts).
 */
function spinLock(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const L = f.L;
  c.globalGet(L.gHeld);
  c.if();
  f.fault(FAULT_DOUBLE_LOCK, insn.pc, () => {
    c.get(f.reg[1]!);
    c.op(Op.i32_wrap_i64);
  });
  c.end();
  const off = emitAddr(f, 1, 0, 4, insn.pc);
  if (off !== 0) throw new Error('spin lock address with an offset');
  c.set(f.a1);
  c.get(f.a1);
  c.i32Const(0);
  f.lockTag();
  c.atomic(AtomicOp.i32_rmw_cmpxchg, 2);
  c.if();
  c.get(f.a1);
  c.i32Const(insn.pc);
  c.call(L.fSpinLockSlow);
  c.end();
  c.get(f.a1);
  c.globalSet(L.gHeld);
  c.i64Const(0);
  c.set(f.reg[0]!);
}

/** bpf_spin_unlock(r1): only the held lock; swap in 0 and wake a parked waiter if bit 0 says one may wait. */
function spinUnlock(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const L = f.L;
  emitAddr(f, 1, 0, 4, insn.pc);
  c.set(f.a1);
  c.globalGet(L.gHeld);
  c.get(f.a1);
  c.op(Op.i32_ne);
  c.if();
  f.fault(FAULT_BAD_UNLOCK, insn.pc, () => c.get(f.a1));
  c.end();
  emitRelease(c, () => c.get(f.a1));
  c.i32Const(0);
  c.globalSet(L.gHeld);
  c.i64Const(0);
  c.set(f.reg[0]!);
}

/** Frees the lock word at `addr` and wakes one waiter when the word's waiter bit was set. */
export function emitRelease(c: Code, addr: () => void): void {
  addr();
  c.i32Const(0);
  c.atomic(AtomicOp.i32_rmw_xchg, 2);
  c.i32Const(1);
  c.op(Op.i32_and);
  c.if();
  addr();
  c.i32Const(1);
  c.atomic(AtomicOp.notify, 2);
  c.op(Op.drop);
  c.end();
}

/**
 * bpf_loop(nr, callback, ctx, flags): calls callback(i, ctx) for i = 0.. until it returns non-zero;
 * r0 = the number of calls made. flags != 0 -> -EINVAL, nr > 1 << 23 -> -E2BIG (kernel/bpf/bpf_iter.c).
 * A callback known at the call is called directly, any other through the table of sub-programs.
 */
function bpfLoop(f: FnEmitter, insn: Insn): void {
  const c = f.code;
  const L = f.L;
  c.get(f.reg[4]!);
  c.op(Op.i64_eqz);
  c.op(Op.i32_eqz);
  c.if();
  c.i64Const(-EINVAL);
  c.set(f.reg[0]!);
  c.else();
  c.get(f.reg[1]!);
  c.i64Const(0xffffffff); // nr_loops is a u32 argument
  c.op(Op.i64_and);
  c.tee(f.loopN);
  c.i64Const(BPF_MAX_LOOPS);
  c.op(Op.i64_gt_u);
  c.if();
  c.i64Const(-E2BIG);
  c.set(f.reg[0]!);
  c.else();
  c.get(f.reg[3]!);
  c.set(f.loopCtx);
  const known = knownCallback(f.known);
  if (known < 0) {
    c.get(f.reg[2]!);
    c.op(Op.i32_wrap_i64);
    c.set(f.a1);
  }
  calleeFrame(f, insn);
  c.set(f.a0);
  c.i64Const(0);
  c.set(f.loopI);
  f.budgetToGlobal();
  c.block();
  c.loop();
  c.get(f.loopI);
  c.get(f.loopN);
  c.op(Op.i64_ge_u);
  c.brIf(1);
  c.get(f.loopI);
  c.get(f.loopCtx);
  c.i64Const(0);
  c.i64Const(0);
  c.i64Const(0);
  c.get(f.a0);
  if (known >= 0) c.call(L.subFunc[known]!);
  else {
    c.get(f.a1);
    c.op(Op.call_indirect);
    c.u32(L.subType);
    c.u32(0);
  }
  c.get(f.loopI);
  c.i64Const(1);
  c.op(Op.i64_add);
  c.set(f.loopI);
  c.op(Op.i64_eqz);
  c.op(Op.i32_eqz);
  c.brIf(1);
  c.br(0);
  c.end();
  c.end();
  f.budgetFromGlobal();
  c.get(f.loopI);
  c.set(f.reg[0]!);
  c.end();
  c.end();
}

/** Any other known helper: r1..r5 to scratch, call h<id>(pc), r0 from its return kind. */
function importedHelper(f: FnEmitter, insn: Insn, id: number): void {
  const c = f.code;
  const info = helperInfo(id)!;
  for (let r = 1; r <= info.args; r++) {
    f.scratch();
    c.get(f.reg[r]!);
    c.mem(Op.i64_store, 3, (r - 1) * 8);
  }
  c.i32Const(insn.pc);
  c.call(f.L.helperFunc.get(id)!);
  // A helper may change the region table (a ring buffer record reserved or submitted).
  if (f.L.checked) emitForgetRegion(f.L, c);
  switch (info.ret) {
    case 's32':
      c.op(Op.i64_extend_i32_s);
      break;
    case 'u32':
      c.op(Op.i64_extend_i32_u);
      break;
    case 'u64':
      c.op(Op.drop);
      f.scratch();
      c.mem(Op.i64_load, 3, 40);
      break;
    case 'void':
      c.op(Op.drop);
      c.i64Const(0);
      break;
  }
  c.set(f.reg[0]!);
}

