// Kernel conformance: every user-space map operation of the scenarios in test/conformance, judged
// by the live Linux kernel (or by its recorded outcomes). The runner plays them (runner.ts) on our
// side and the kernel's (sides.ts: bpftool.ts, and native.ts with its C helper bpf-helper.c), the
// scenario files are data (schema.ts), env.ts says whether the kernel half can run, report.ts
// prints a summary. The command line is src/cli/conformance.ts.

export { runConformance, scenarioFiles, formatScenario, SCENARIO_DIR } from './runner.js';
export type { ConformanceOptions, Difference, Mode, Skip, Summary } from './runner.js';
export { formatSummary } from './report.js';
export { parseScenario, validateScenario, ScenarioError } from './schema.js';
export type { Scenario, Step, Outcome, MapDef } from './schema.js';
export { probeKernel } from './env.js';
