// `percpu-maps conformance [--live] [--record] [scenario...]`: the arguments of kernel conformance
// (src/conformance), which does the work.

import { formatSummary, runConformance, type ConformanceOptions, type Mode, type Summary } from '../conformance/index.js';

export const USAGE = `usage: percpu-maps conformance [--live] [--record] [scenario...]

  (no flag)  check percpu-maps against the kernel outcomes recorded in the scenario files
  --live     play every step on the live kernel (bpftool, bpffs, root) and on percpu-maps side by side
  --record   like --live, and write the kernel's outcomes into the scenario files

Scenarios are the JSON files in test/conformance (give names or paths to pick some).
Exit code: 0 when every step agrees, 1 on differences, 2 when the run could not judge
(bad arguments, a malformed scenario, a kernel half that cannot run).`;

/** What the exit code says about a summary. */
export function exitCode(s: Summary): number {
  if (s.unavailable || s.errors.length > 0) return 2;
  return s.differ > 0 ? 1 : 0;
}

/** Run the command with argv (the words after `conformance`); prints to stdout/stderr; the exit code. */
export async function conformanceCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  let mode: Mode = 'check';
  const names: string[] = [];
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      out(`${USAGE}\n`);
      return 0;
    }
    if (a === '--live') {
      if (mode === 'check') mode = 'live';
    } else if (a === '--record') {
      mode = 'record';
    } else if (a.startsWith('-')) {
      err(`percpu-maps conformance: unknown option '${a}'\n${USAGE}\n`);
      return 2;
    } else {
      names.push(a);
    }
  }
  const options: ConformanceOptions = { mode, scenarios: names };
  let summary: Summary;
  try {
    summary = await runConformance(options);
  } catch (e) {
    // Bad names, an unreadable directory: one line, not a stack trace.
    err(`percpu-maps conformance: ${(e as Error).message}\n`);
    return 2;
  }
  out(`${formatSummary(summary)}\n`);
  return exitCode(summary);
}
