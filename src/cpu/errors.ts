// Errors of the CPU layer, each naming where it happened and what to do.

/** A handler threw: the run stopped on every CPU. Maps keep every update made before. */
export class HandlerError extends Error {
  override name = 'HandlerError';
  readonly cpu: number;
  readonly probe: string;
  readonly event: number;
  readonly handlerStack: string;
  constructor(cpu: number, probe: string, event: number, message: string, stack: string) {
    super(`the handler of '${probe}' threw on CPU ${cpu} at event ${event}: ${message}. ` +
      'The run stopped on every CPU; the maps keep every update made before. Fix the handler and run again.');
    this.cpu = cpu;
    this.probe = probe;
    this.event = event;
    this.handlerStack = stack;
  }
}

/** A simulated CPU's worker died (process.exit, out of memory, a crash). It is replaced with the same CPU id. */
export class CpuDiedError extends Error {
  override name = 'CpuDiedError';
  readonly cpu: number;
  readonly reason: string;
  constructor(cpu: number, reason: string) {
    super(`CPU ${cpu} died: ${reason}. Its worker is replaced with the same CPU id and the loaded programs are loaded again; ` +
      'maps keep what was written before. Run again once the cause is fixed.');
    this.cpu = cpu;
    this.reason = reason;
  }
}

/** A program module could not be loaded (import failed, bad definition, map creation refused). */
export class ProgramLoadError extends Error {
  override name = 'ProgramLoadError';
}

/** A run was asked for something the runtime cannot do (unknown probe, bad event count). */
export class RunError extends Error {
  override name = 'RunError';
}
