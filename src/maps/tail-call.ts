// bpf_tail_call(ctx, prog_array, index): jump into the program in a prog array's slot, keeping the
// context and dropping the caller's stack; it never returns when it succeeds, and falls through
// when the slot is out of range or empty or the run already made MAX_TAIL_CALL_CNT (33) tail
// calls. (The kernel's interpreter in kernel/bpf/core.c and the x86 JIT; on 6.18 a call that falls
// through does not count toward the 33, as the live kernel shows.)
//
// A TypeScript handler cannot jump, so "never returns" is a return: on success bpf_tail_call
// returns TAIL_CALL, and the handler must return it at once; the event loop then runs the target
// with the same context (the caller's frame is gone: its stack is dropped). On failure it returns
// undefined and the handler goes on, as the C program falls through:
//
//     return bpf_tail_call(ctx, jmp_table, 2) ?? 0;        // fall through: return 0
//
//     const tc = bpf_tail_call(ctx, jmp_table, idx);
//     if (tc) return tc;
//     ...                                                  // fall through: more code
//
// A handler that calls bpf_tail_call successfully and does not return TAIL_CALL at once is a fault
// (the kernel's program could not go on), reported at its next tail call or at the end of the
// batch. Measured against a throw instead (an exception caught by the event loop, which would need
// no convention; test/stress/tail-call-cost.ts, one run on a loaded 2-core machine): the return
// cost ~12 ns an event more than calling the target directly (63 -> 75 ns), the throw 1.4 us, and
// 2.0 us from three frames deep.

import { BpfError, EINVAL } from './errno.js';
import type { BpfMapCore } from './bpf.js';
import { progArraySlot } from './fd-array.js';
import type { BpfProg } from './idr.js';
import { BPF_MAP_TYPE_PROG_ARRAY, MAX_TAIL_CALL_CNT, mapTypeName } from './uapi.js';
import { heldLockIndex, lockHeldFault } from '../sync/spinlock.js';

/** What a successful bpf_tail_call returns, and what the handler must return at once. */
export const TAIL_CALL: unique symbol = Symbol('bpf_tail_call');
export type TailCall = typeof TAIL_CALL;

/** An event's context as the tail call sees it: the object, and the event's number on this CPU. */
interface TailCallContext {
  readonly index?: number;
}

// Per thread (per CPU): the tail calls made in the current run of a program, and the target of
// the tail call that succeeded and has not run yet.
let count = 0;
let countedCtx: object | null = null;
let countedEvent = -1;
let pending: BpfProg | null = null;
let pendingEvent = -1;

/** A fault of the program (what the verifier or the JIT would refuse): stops the run. */
export class TailCallError extends Error {
  override name = 'TailCallError';
}

function notProgArray(map: BpfMapCore): never {
  if (heldLockIndex !== -1) lockHeldFault('bpf_tail_call');
  throw new BpfError(map.name, 'bpf_tail_call', EINVAL,
    `cannot pass map_type ${map.attr.type} into func bpf_tail_call#12 (the verifier's words: bpf_tail_call takes a prog array, not a ${mapTypeName(map.attr.type) ?? `type ${map.attr.type}`} map)`);
}

function notReturned(): never {
  const p = pending!;
  pending = null;
  throw new TailCallError(`a handler's bpf_tail_call into program '${p.name}' succeeded (event ${pendingEvent}) but the handler went on: ` +
    'a tail call never returns, so return its result at once (return bpf_tail_call(ctx, map, index) ?? 0)');
}

/**
 * bpf_tail_call(ctx, map, index): TAIL_CALL when the jump happens (return it at once), undefined
 * when it falls through (index out of range, empty slot, 33 tail calls made in this run).
 */
export function bpf_tail_call(ctx: object, map: BpfMapCore, index: number): TailCall | undefined {
  if (heldLockIndex !== -1 || map.attr.type !== BPF_MAP_TYPE_PROG_ARRAY) notProgArray(map);
  if (pending !== null) notReturned();
  // A new run of a program starts a new count (the kernel's prologue zeroes tail_call_cnt).
  const event = (ctx as TailCallContext).index ?? -1;
  if (ctx !== countedCtx || event !== countedEvent) {
    countedCtx = ctx;
    countedEvent = event;
    count = 0;
  }
  // The index is a u32: a negative or fractional number is some other index, out of range here.
  const prog = Number.isInteger(index) ? progArraySlot(map, index) : null;
  if (prog === null || count >= MAX_TAIL_CALL_CNT) return undefined;
  if (prog.run === null) {
    throw new TailCallError(`bpf_tail_call into program '${prog.name}' (id ${prog.id}): it cannot run in this thread (a translated eBPF program; its runtime makes that call)`);
  }
  count++;
  pending = prog;
  pendingEvent = event;
  return TAIL_CALL;
}

/**
 * Run the tail-called programs after a handler returned TAIL_CALL, each with the same context,
 * until one returns something else: its return value is the run's.
 */
export function tailCallChain(ctx: object): unknown {
  for (;;) {
    const prog = pending;
    if (prog === null) {
      throw new TailCallError('a handler returned TAIL_CALL without a bpf_tail_call that succeeded: return what bpf_tail_call returned, only when it is TAIL_CALL');
    }
    pending = null;
    const r = prog.run!(ctx);
    if (r !== TAIL_CALL) {
      if (pending !== null) notReturned();
      return r;
    }
  }
}

/** The run ended: a successful tail call whose result was not returned is the handler's fault. */
export function tailCallCheckEnd(): void {
  if (pending !== null) notReturned();
}

/** Forget this CPU's tail-call state (a new run of events; a run that stopped on a fault). */
export function tailCallReset(): void {
  count = 0;
  countedCtx = null;
  countedEvent = -1;
  pending = null;
}

/**
 * bpf_prog_run(): run one program on a context, following its tail calls, as the event loop does
 * (for user space calling a program itself, e.g. with runtime.runOn). Returns the value of the
 * last program that ran.
 */
export function bpfProgRun(run: (ctx: any) => unknown, ctx: object): unknown {
  tailCallReset();
  try {
    const r = run(ctx);
    const last = r === TAIL_CALL ? tailCallChain(ctx) : r;
    tailCallCheckEnd();
    return last;
  } finally {
    tailCallReset();
  }
}
