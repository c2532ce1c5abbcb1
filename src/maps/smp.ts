// What a program running on a CPU can ask about where and when it runs: smp_processor_id(),
// the current task, and the clock of bpf_ktime_get_ns().
//
// A simulated CPU is a worker thread whose id never changes; it sets its id once at start. The
// coordinator sets it around runOn() so a test can make program-side calls "on" a chosen CPU.

export let smpProcessorId = 0;

export function setSmpProcessorId(cpu: number): void {
  smpProcessorId = cpu;
}

/** The task an event runs in (the kernel's `current`): the event loop points this at its reused context. */
export interface CurrentTask {
  pid: number;
  tgid: number;
  comm: string;
}

export let current: CurrentTask = { pid: 0, tgid: 0, comm: 'swapper' };

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
