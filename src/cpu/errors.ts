// Errors of the CPU layer, each naming where it happened and what to do.

/**
 * When several CPUs fail in one run, the error thrown is the first cause (the CPU whose failure
 * stopped the run); the failures that followed from it are attached here, and named at the end of
 * its message.
 */
export function attachOthers(primary: HandlerError | CpuDiedError, others: Error[]): void {
  if (others.length === 0) return;
  primary.others = others;
  primary.message += ` Also: ${others.map((e) => e.message.split('. ')[0]).join('; ')} (see error.others).`;
}

/** A handler threw: the run stopped on every CPU. Maps keep every update made before. */
export class HandlerError extends Error {
  override name = 'HandlerError';
  readonly cpu: number;
  readonly probe: string;
  readonly event: number;
  readonly handlerStack: string;
  /** Failures on other CPUs in the same run that followed from this one (a CPU that did not stop in time). */
  others: Error[] = [];
  constructor(cpu: number, probe: string, event: number, message: string, stack: string, text?: string) {
    super(text ?? `the handler of '${probe}' threw on CPU ${cpu} at event ${event}: ${message}. ` +
      'The run stopped on every CPU; the maps keep every update made before. Fix the handler and run again.');
    this.cpu = cpu;
    this.probe = probe;
    this.event = event;
    this.handlerStack = stack;
  }
}

/**
 * A handler broke a bpf_spin_lock rule the kernel's verifier would have refused to load (exit with
 * the lock held, a call under the lock, a bad unlock), or waited too long for a lock another CPU
 * never released. The message starts with the verifier's own line. The run stopped on every CPU,
 * and the lock was released.
 */
export class LockError extends HandlerError {
  override name = 'LockError';
  /** exit-with-lock, call-with-lock, unlock-without-lock, unlock-different or timeout. */
  readonly fault: string;
  /** The kernel verifier's line for the same mistake ('' for a timeout, which it cannot see). */
  readonly verifierMessage: string;
  /** For a timeout: the CPU that held the lock (-1 when unknown). */
  readonly holderCpu: number;
  constructor(cpu: number, probe: string, event: number, message: string, stack: string, fault: string, verifierMessage: string, holderCpu: number) {
    const where = `the handler of '${probe}' on CPU ${cpu}, event ${event}`;
    super(cpu, probe, event, message, stack,
      `${where}: ${message}` +
      '. The run stopped on every CPU and the lock was released; the maps keep every update made before.' +
      (verifierMessage ? ' The kernel would have refused to load this program.' : ''));
    this.fault = fault;
    this.verifierMessage = verifierMessage;
    this.holderCpu = holderCpu;
  }
}

/** A simulated CPU's worker died (process.exit, out of memory, a crash). It is replaced with the same CPU id. */
export class CpuDiedError extends Error {
  override name = 'CpuDiedError';
  readonly cpu: number;
  readonly reason: string;
  /** Failures on other CPUs in the same run that followed from this one. */
  others: Error[] = [];
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
