// Ready-made workloads: a program, the events that drive it, and what user space prints after.

import type { LoadedProgram, Runtime, RunResult } from '../cpu/runtime.js';
import type { DumpEntry } from '../maps/dump.js';

export interface WorkloadOptions {
  runtime: Runtime;
  events: number;
  /** Return the program's maps as bpftool dumps them. */
  dump?: boolean;
  /** Keep every record the workload produces in its data (for --json), not only what it prints. */
  records?: boolean;
}

export interface WorkloadResult {
  run: RunResult;
  /** What the workload prints (a histogram, a table of counts, ...). */
  text: string;
  /** The same as data, for --json. */
  data: unknown;
  maps?: Record<string, DumpEntry[]>;
}

export interface Workload {
  name: string;
  /** One line for the list of workloads. */
  title: string;
  /** Why it behaves as it does: printed under the result. */
  explain: string;
  defaultEvents: number;
  probe: string;
  run(options: WorkloadOptions): Promise<WorkloadResult>;
}

/** Load a program, give it to `body`, and unload it however `body` ends (the maps go with it). */
export async function withProgram<T>(rt: Runtime, module: string | URL, body: (prog: LoadedProgram) => Promise<T>): Promise<T> {
  const prog = await rt.load(module);
  try {
    return await body(prog);
  } finally {
    await prog.unload();
  }
}
