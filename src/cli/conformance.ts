// `percpu-maps conformance [--live] [--record] [--json] [scenario...]`: the arguments of kernel conformance
// (src/conformance), which does the work.

import { parse, type ParsedArgs } from './args.js';
import { formatSummary, runConformance, type ConformanceOptions, type Mode, type Summary } from '../conformance/index.js';

export const USAGE = `usage: percpu-maps conformance [--live] [--record] [--json] [scenario...]

  (no flag)  check percpu-maps against the kernel outcomes recorded in the scenario files
  --live     play every step on the live kernel (bpftool, bpffs, root) and on percpu-maps side by side
  --record   like --live, and write the kernel's outcomes into the scenario files
  --json     print the summary as JSON

Scenarios are the JSON files in test/conformance of the package (give names or paths to pick some).
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
  let parsed: ParsedArgs;
  try {
    parsed = parse('conformance', argv, {
      live: { type: 'boolean' },
      record: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }, true);
  } catch (e) {
    // One line, as every command prints a bad argument.
    err(`percpu-maps conformance: ${(e as Error).message} (see 'percpu-maps conformance --help')\n`);
    return 2;
  }
  const { values, positionals: names } = parsed;
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const mode: Mode = values.record ? 'record' : values.live ? 'live' : 'check';
  const options: ConformanceOptions = { mode, scenarios: names };
  let summary: Summary;
  try {
    summary = await runConformance(options);
  } catch (e) {
    // Bad names, an unreadable directory: one line, not a stack trace.
    err(`percpu-maps conformance: ${(e as Error).message}\n`);
    return 2;
  }
  out(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  return exitCode(summary);
}
