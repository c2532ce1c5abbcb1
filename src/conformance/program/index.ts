// Program-side conformance: the same eBPF object in the live kernel and on percpu-maps' CPUs,
// compared step by step. The scenarios are data (schema.ts, with asm.ts for hand-assembled
// programs and bytes.ts for typed fields); the runner (runner.ts) plays them on two ProgramSides
// (side.ts): the kernel's (kernel-side.ts with its C helper prog-helper.c) and ours; dump.ts is the
// map contents both answer in; report.ts prints a summary. The command line is src/cli/conformance.ts
// (`conformance --programs`).

export { runProgramConformance, programScenarioFiles, formatProgramScenario, judgeOutcome, PROGRAM_SCENARIO_DIR } from './runner.js';
export type { ProgramConformanceOptions, ProgramDifference, ProgramMode, ProgramSkip, ProgramSummary } from './runner.js';
export { formatProgramSummary, programExitCode } from './report.js';
export { parseProgramScenario, validateProgramScenario, programsToLoad } from './schema.js';
export type { ProgramScenario, ProgStep, RecordedOutcome, MapContents, MapsState } from './schema.js';
export { SideUnavailable, StepSkipped } from './side.js';
export { oursSide, OursProgramSide, scenarioObject } from './ours-side.js';
export type { ProgramSide, LoadedMap } from './side.js';
export { KernelProgramSide, probeProgramKernel, verifierLine } from './kernel-side.js';
export { assemble, AsmError } from './asm.js';
