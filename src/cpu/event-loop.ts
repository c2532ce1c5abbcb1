// The event loop of one simulated CPU: fire a probe's handlers for a batch of events.
//
// Events are generated here, inside the worker, never one message per event. The context object
// is one per CPU and reused for every event; between batches the loop checks the run's stop word
// and publishes its progress, so the hot loop itself touches no shared word but the program's own.

import { ktimeGetNs, type CurrentTask } from '../smp/smp.js';
import { TAIL_CALL, tailCallChain, tailCallCheckEnd, tailCallReset } from '../maps/tail-call.js';
import type { Handler, ProbeContext } from './program.js';

/** Events between two looks at the stop word (and two progress updates). */
export const BATCH = 1 << 16;

// Words of a run's control buffer (Int32Array):
//   0          stop      set to 1 to stop every CPU at its next batch    coordinator, or a CPU whose handler threw
//   1 + cpu    progress  events done so far by that CPU (u32)           that CPU
export const CONTROL_STOP = 0;
export const controlBytes = (cpus: number): number => 4 * (1 + cpus);

/** Pids of generated events: `pids` distinct tasks from `pidBase`, taken in turn. */
export interface TaskSource {
  pidBase: number;
  pids: number;
  comm: string;
}

export class EventContext implements ProbeContext, CurrentTask {
  readonly cpu: number;
  /** The event's number on this CPU: the only field the loop writes per event. */
  index = 0;
  comm = 'swapper';
  pidBase = 1000;
  pids = 1;
  /** The probe's programs run on user registers (uprobes, USDT): a perf sample then says PERF_RECORD_MISC_USER. */
  userMode = false;
  constructor(cpu: number) {
    this.cpu = cpu;
  }
  // The task is a function of the event number (events take the pids in turn from pidBase), so
  // the loop stores one word per event and only handlers that ask for the pid pay for it.
  get pid(): number {
    return this.pidBase + (this.index % this.pids);
  }
  /** Generated tasks are single-threaded: the thread group id is the pid. */
  get tgid(): number {
    return this.pid;
  }
  get timestamp(): number {
    return ktimeGetNs();
  }
}

/** Events from..to-1 run by a translated program's own loop (one object program alone on its probe). */
export type BatchRunner = (from: number, to: number) => void;

/**
 * One CPU's share of a run. Returns the number of events done (fewer when stopped). With `batch`,
 * each batch of events is one call into the translated program's loop instead of a call per event.
 */
export function runEvents(ctx: EventContext, handlers: readonly Handler[], events: number, source: TaskSource, control: Int32Array,
  batch: BatchRunner | null = null): number {
  ctx.comm = source.comm;
  ctx.pidBase = source.pidBase;
  ctx.pids = source.pids;
  tailCallReset();
  let done = 0;
  while (done < events) {
    if (Atomics.load(control, CONTROL_STOP) !== 0) break;
    const end = events - done > BATCH ? done + BATCH : events;
    if (batch !== null) batch(done, end);
    else if (handlers.length === 1) batchOne(ctx, handlers[0]!, done, end);
    else batchMany(ctx, handlers, done, end);
    // A tail call that succeeded must have ended its handler (checked here, once a batch).
    tailCallCheckEnd();
    done = end;
    Atomics.store(control, 1 + ctx.cpu, done);
  }
  return done;
}

// The common case, one handler, gets its own loop so the call site stays monomorphic. A handler
// returns nothing or a number; anything else is looked at aside: TAIL_CALL (bpf_tail_call's target
// runs next, with the same context), or a returned promise (a fault).
function batchOne(ctx: EventContext, fn: Handler, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    ctx.index = i;
    const r = fn(ctx);
    if (r !== undefined && typeof r !== 'number') afterReturn(ctx, r);
  }
}

function batchMany(ctx: EventContext, fns: readonly Handler[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    ctx.index = i;
    for (let k = 0; k < fns.length; k++) {
      const r = fns[k]!(ctx);
      if (r !== undefined && typeof r !== 'number') afterReturn(ctx, r);
    }
  }
}

/**
 * A handler that returned a promise (it calls an async function without awaiting, or slipped past
 * defineProgram's check) would have work left that never runs in a kernel program: stop the run.
 * Its rejection is caught here, so it cannot end the worker later as an unhandled rejection.
 */
/** A handler's return that is not a number: a tail call to follow, or a promise to refuse. */
function afterReturn(ctx: EventContext, r: unknown): void {
  if (r === TAIL_CALL) tailCallChain(ctx);
  else checkReturn(r);
}

function checkReturn(r: unknown): void {
  if (r === null || (typeof r !== 'object' && typeof r !== 'function') || typeof (r as PromiseLike<unknown>).then !== 'function') return;
  (r as PromiseLike<unknown>).then(undefined, () => {});
  throw new Error('the handler returned a promise (a thenable): handlers run to their end synchronously, as BPF programs do; ' +
    'nothing it awaits would ever run. Make it a plain function that returns nothing or a number');
}
