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

/**
 * A translated eBPF program stopped with a fault (a bad memory access, an unknown helper, a lock
 * rule, a loop that does not end): the message names the program, the instruction and, for an
 * object built with -g, its C source line. The run stopped on every CPU; the maps keep every
 * update made before.
 */
export class ProgramFaultError extends HandlerError {
  override name = 'ProgramFaultError';
  /** The program's name (its function in the object). */
  readonly program: string;
  /** The instruction index in the linked program (-1 when unknown). */
  readonly insn: number;
  /** "file.bpf.c:48: val->cnt++;" for objects built with -g, else ''. */
  readonly source: string;
  constructor(cpu: number, probe: string, event: number, program: string, insn: number, source: string, message: string, stack: string) {
    const at = insn >= 0 ? `, instruction ${insn}${source ? ` (${source})` : ''}` : '';
    super(cpu, probe, event, message, stack,
      `program '${program}' (${probe}) stopped on CPU ${cpu} at event ${event}${at}: ${message}. ` +
      'The run stopped on every CPU; the maps keep every update made before.');
    this.program = program;
    this.insn = insn;
    this.source = source;
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

/**
 * BPF_PROG_TEST_RUN would refuse this run before the program runs (Runtime.testRun mirrors its
 * argument rules): `errno` is the kernel's answer, the message says which input and what to change.
 * Nothing ran; the maps are as they were.
 */
export class TestRunError extends RunError {
  override name = 'TestRunError';
  readonly program: string;
  readonly errno: 'EINVAL' | 'E2BIG' | 'ENOTSUPP';
  constructor(program: string, errno: 'EINVAL' | 'E2BIG' | 'ENOTSUPP', why: string) {
    super(`test run of program '${program}' refused with ${errno}, as BPF_PROG_TEST_RUN refuses it: ${why}. Nothing ran.`);
    this.program = program;
    this.errno = errno;
  }
}

/**
 * loadObject(..., { verify: 'kernel' }): the live kernel's verifier refused the object. Carries the
 * program it refused, the errno, the end of the verifier's log and the line of it that says why;
 * nothing was loaded here either.
 */
export class KernelVerifierError extends ProgramLoadError {
  override name = 'KernelVerifierError';
  /** The program refused ('' when the kernel refused the object's maps before any program). */
  readonly program: string;
  readonly errno: string;
  /** The end of the verifier's log (its last 4 KiB). */
  readonly log: string;
  /** The line that says why. */
  readonly line: string;
  constructor(object: string, program: string, errno: string, log: string, line: string) {
    super(`the kernel's verifier refused ${program ? `program '${program}' of ` : ''}object '${object}' (${errno}): ${line || 'no log'}. ` +
      'Nothing was loaded; fix the program (the whole log is in .log), or load it without verify: \'kernel\' to run it here checked.');
    this.program = program;
    this.errno = errno;
    this.log = log;
    this.line = line;
  }
}

/**
 * loadObject(..., { verify: 'kernel' }) cannot ask the kernel on this machine: the message says
 * what is missing (Linux, root or CAP_BPF, a C compiler, libbpf-dev). Nothing was loaded.
 */
export class KernelUnavailableError extends ProgramLoadError {
  override name = 'KernelUnavailableError';
  readonly reason: string;
  constructor(object: string, reason: string) {
    super(`cannot verify object '${object}' in the kernel: ${reason}. Nothing was loaded; load it without verify: 'kernel' to run it here checked.`);
    this.reason = reason;
  }
}
