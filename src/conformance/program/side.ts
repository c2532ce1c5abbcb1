// The two players of a program scenario: the live kernel (kernel-side.ts) and percpu-maps' object
// runtime (ours-side.ts). The runner drives both through this one interface, step by step, and compares
// what they answer; everything a side answers is in the canonical form of schema.ts and dump.ts, so
// a difference is a difference in behaviour, never in formatting.

import type {
  ConsumeResult, ConsumeStep, MapContents, MapStep, MapStepResult, OpenResult, ProgramScenario, RaceResult, RaceStep,
  RunResult, RunStep, VerifyResult, VerifyStep,
} from './schema.js';

/** A map as loaded: what BPF_OBJ_GET_INFO_BY_FD says (and what the scenario's steps address it by). */
export interface LoadedMap {
  /** The symbol name; global data by its section (".bss", ".data", ".rodata", ".rodata.str1.1"). */
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface ProgramSide {
  /** For messages: 'kernel', 'percpu-maps'. */
  readonly name: string;
  /** Possible CPUs: how many values a per-CPU map holds per key. */
  readonly cpus: number;

  /**
   * Load the scenario's object: global-data sections named in `scenario.initial` get those bytes
   * before load (as a skeleton's `rodata->knob = ...` does; .rodata is then frozen); only the
   * programs of `load` are loaded (the others are loaded alone by verify steps). The runner then
   * fills the other maps' initial entries through mapStep. A refusal is a result, not a throw.
   */
  open(scenario: ProgramScenario, load: readonly string[]): Promise<{ result: OpenResult; maps: LoadedMap[] }>;

  /**
   * BPF_PROG_TEST_RUN of one program on CPU `step.cpu` with the step's data (tc, xdp) or ctx
   * (raw_tp, syscall) and repeat. The result carries the return value as test_run reports it
   * (r0 truncated to u32), the packet after the run (dataOut) and a syscall program's context after
   * the run (ctxOut); or the errno test_run refused the run with.
   */
  run(step: RunStep): Promise<RunResult>;

  /** `step.repeat` runs on each CPU of `cpus` at once (one thread per CPU, released together). */
  race(step: RaceStep, cpus: readonly number[]): Promise<RaceResult>;

  /**
   * A user-space map command on CPU `step.cpu`, with the key and value already encoded by the
   * runner (per-CPU values: `cpus` slots of round_up(value_size, 8) bytes). Reads answer the
   * value (per-CPU maps: one value_size string per CPU) or the next key; writes answer ok; a
   * refusal answers its errno.
   */
  mapStep(step: MapStep, key: Uint8Array | null, value: Uint8Array | null): Promise<MapStepResult>;

  /** A ring buffer consumer: every submitted record from the consumer position on, advancing it. */
  consume(step: ConsumeStep): Promise<ConsumeResult>;

  /** Load `step.prog` alone with the verifier's log: accepted, or the errno and the line that matters. */
  verify(step: VerifyStep): Promise<VerifyResult>;

  /** A map's full contents, read without changing them (see dump.ts for the form). */
  dump(map: LoadedMap): Promise<MapContents>;

  /** Unload the object (the next open loads a fresh one). */
  close(): Promise<void>;

  /** End the side: its processes or workers. */
  stop(): Promise<void>;
}

/** A side cannot play at all here (what is missing is the message). */
export class SideUnavailable extends Error {
  override name = 'SideUnavailable';
}

/**
 * A side cannot play this one step here (a verify step without a live kernel to ask): the step
 * is counted as skipped with the message as its reason, never as agreeing.
 */
export class StepSkipped extends Error {
  override name = 'StepSkipped';
}
