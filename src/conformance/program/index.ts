// Program-side conformance: the same eBPF object in the live kernel and on percpu-maps' CPUs,
// compared step by step. The CLI's `conformance --programs` lands here.

import { formatProgramSummary, programExitCode } from './report.js';
import { runProgramConformance, type ProgramMode, type ProgramSummary } from './runner.js';

export { runProgramConformance, programScenarioFiles, formatProgramScenario, judgeOutcome, PROGRAM_SCENARIO_DIR } from './runner.js';
export type { ProgramConformanceOptions, ProgramDifference, ProgramMode, ProgramSkip, ProgramSummary } from './runner.js';
export { formatProgramSummary, programExitCode } from './report.js';
export { parseProgramScenario, validateProgramScenario, ProgramScenarioError, programsToLoad } from './schema.js';
export type { ProgramScenario, ProgStep, RecordedOutcome, MapContents, MapsState } from './schema.js';
export { OURS_MISSING, SideUnavailable, oursSide } from './side.js';
export type { ProgramSide, LoadedMap } from './side.js';
export { KernelProgramSide, probeProgramKernel, verifierLine } from './kernel-side.js';
export { assemble, AsmError } from './asm.js';

export const PROGRAMS_USAGE = `usage: percpu-maps conformance --programs [--live|--record|--kernel-replay] [scenario...]

  (no flag)        check percpu-maps' object runtime against the kernel outcomes recorded in the files
  --live           run every step in the live kernel and on percpu-maps side by side
  --record         run every step in the live kernel and write its outcomes into the files
  --kernel-replay  run every step in the live kernel against its own recordings (is the recorder deterministic?)

Scenarios are the JSON files in test/conformance/programs (give names or paths to pick some);
the format is in test/conformance/programs/README.md.
Exit code: 0 when every step agrees (or was recorded), 1 on differences, 2 when some step could not be judged.`;

/** `conformance --programs ...`: argv without --programs; prints; returns the exit code. */
export async function programConformanceCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  let mode: ProgramMode = 'check';
  let subject: 'ours' | 'kernel' = 'ours';
  const names: string[] = [];
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      out(`${PROGRAMS_USAGE}\n`);
      return 0;
    }
    if (a === '--live') {
      if (mode === 'check') mode = 'live';
    } else if (a === '--record') {
      mode = 'record';
    } else if (a === '--kernel-replay') {
      subject = 'kernel';
    } else if (a.startsWith('-')) {
      err(`percpu-maps conformance --programs: unknown option '${a}'\n${PROGRAMS_USAGE}\n`);
      return 2;
    } else {
      names.push(a);
    }
  }
  if (subject === 'kernel' && mode !== 'check') {
    err(`percpu-maps conformance --programs: --kernel-replay replays recordings; it does not combine with --live or --record\n`);
    return 2;
  }
  let summary: ProgramSummary;
  try {
    summary = await runProgramConformance({ mode, subject, scenarios: names });
  } catch (e) {
    err(`percpu-maps conformance --programs: ${(e as Error).message}\n`);
    return 2;
  }
  out(`${formatProgramSummary(summary)}\n`);
  return programExitCode(summary);
}
