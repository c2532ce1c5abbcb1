// What a program running on a CPU can ask about where and when it runs: smp_processor_id(),
// the current task, and the clock of bpf_ktime_get_ns() (the kernel's include/linux/smp.h and
// `current`). The lowest layer: the spin lock and the maps both stand on it, and it imports nothing.
//
// A simulated CPU is a worker thread whose id never changes; it sets its id once at start. The
// coordinator is user space, on no CPU (NO_CPU): it sets an id only around runOn(), so a test can
// make program-side calls "on" a chosen CPU, and program helpers called elsewhere refuse (notOnCpu).

/** The CPU id of a thread that is on no CPU: user space. */
export const NO_CPU = -1;

export let smpProcessorId = NO_CPU;

/** A program helper called from user space (the coordinator outside runOn, or any thread that is no CPU). */
export class NotOnCpuError extends Error {
  override name = 'NotOnCpuError';
}

/** Throw the advice for a program helper called outside a CPU; `what` names the helper (and its map). */
export function notOnCpu(what: string): never {
  throw new NotOnCpuError(`${what}: program helpers run on a CPU, in a handler or inside runtime.runOn(cpu, fn); ` +
    'user space reads and writes maps with their own methods (map.lookup(), map.update(), map.delete(), ringBuffer(map).consume())');
}

/** Per-thread state that depends on the CPU this thread runs programs on (a map's inlined lookup). */
export interface CpuBound {
  bindCpu(cpu: number): void;
}

// Weakly held, so a thread that creates many maps (a test suite) does not keep them alive; dead
// entries are dropped whenever the list has doubled.
const bound: WeakRef<CpuBound>[] = [];
let compactAt = 64;

function compactBound(each?: (o: CpuBound) => void): void {
  let n = 0;
  for (const ref of bound) {
    const o = ref.deref();
    if (o === undefined) continue;
    each?.(o);
    bound[n++] = ref;
  }
  bound.length = n;
}

/** Track `o` for this thread's CPU changes and bind it to the current one. Call once per object. */
export function bindToThisCpu(o: CpuBound): void {
  if (bound.length >= compactAt) {
    compactBound();
    compactAt = Math.max(64, 2 * bound.length);
  }
  bound.push(new WeakRef(o));
  o.bindCpu(smpProcessorId);
}

export function setSmpProcessorId(cpu: number): void {
  smpProcessorId = cpu;
  compactBound((o) => o.bindCpu(cpu));
}

/** The task an event runs in (the kernel's `current`): the event loop points this at its reused context. */
export interface CurrentTask {
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  /** The number of the event on this CPU, -1 outside a run: the spin lock names the event that took a lock. */
  readonly index: number;
}

export let current: CurrentTask = { pid: 0, tgid: 0, comm: 'swapper', index: -1 };

export function setCurrentTask(task: CurrentTask): void {
  current = task;
}

/**
 * bpf_ktime_get_ns() counts from one origin shared by every thread of a runtime (the coordinator
 * sends its own), so timestamps of different CPUs compare. performance.timeOrigin is absolute, so
 * (timeOrigin + now()) means the same instant in every thread.
 */
export let ktimeOriginMs = performance.timeOrigin + performance.now();

export function setKtimeOrigin(originMs: number): void {
  ktimeOriginMs = originMs;
}

export function ktimeGetNs(): number {
  return Math.round((performance.timeOrigin + performance.now() - ktimeOriginMs) * 1e6);
}
