// `percpu-maps conformance [--programs] [--live] [--record] [--json] [scenario...]`: the arguments of
// kernel conformance (src/conformance, and src/conformance/program for programs), which does the work.

import { parse, type ParsedArgs } from './args.js';
import { formatSummary, runConformance, type ConformanceOptions, type Mode, type Summary } from '../conformance/index.js';
import { formatProgramSummary, programExitCode, runProgramConformance, type ProgramMode, type ProgramSummary } from '../conformance/program/index.js';

export const USAGE = `usage: percpu-maps conformance [--live] [--record] [--json] [scenario...]
       percpu-maps conformance --programs [--live|--record|--kernel-replay] [scenario...]

  (no flag)  check percpu-maps against the kernel outcomes recorded in the scenario files
  --live     play every step on the live kernel (bpftool, bpffs, root) and on percpu-maps side by side
  --record   like --live, and write the kernel's outcomes into the scenario files
  --json     print the summary as JSON

Scenarios are the JSON files in test/conformance of the package (give names or paths to pick some).
Exit code: 0 when every step agrees, 1 on differences, 2 when the run could not judge
(bad arguments, a malformed scenario, a kernel half that cannot run).

--programs: eBPF programs instead of user-space steps (percpu-maps conformance --programs --help).`;

export const PROGRAMS_USAGE = `usage: percpu-maps conformance --programs [--live|--record|--kernel-replay] [scenario...]

  (no flag)        check percpu-maps' object runtime against the kernel outcomes recorded in the files
  --live           run every step in the live kernel and on percpu-maps side by side
  --record         run every step in the live kernel and write its outcomes into the files
  --kernel-replay  run every step in the live kernel against its own recordings (is the recorder deterministic?)

Scenarios are the JSON files in test/conformance/programs (give names or paths to pick some, your own
included: the format is in test/conformance/programs/README.md). The kernel side needs root (or
CAP_BPF and CAP_SYS_ADMIN), a C compiler and libbpf-dev. percpu-maps has no verifier of its own:
its verify steps ask the live kernel (--verify kernel) even in check mode, and are skipped without one.
Exit code: 0 when every step agrees (or was recorded), 1 on differences, 2 when some step could not be
judged (bad arguments, a malformed scenario, a side that cannot run).`;

/** `conformance --programs ...`, argv without --programs; prints; the exit code. */
async function programsCommand(argv: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
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
      err(`percpu-maps conformance --programs: unknown option '${a}' (see 'percpu-maps conformance --programs --help')\n`);
      return 2;
    } else {
      names.push(a);
    }
  }
  if (subject === 'kernel' && mode !== 'check') {
    err('percpu-maps conformance --programs: --kernel-replay replays the recordings; it does not go with --live or --record\n');
    return 2;
  }
  let summary: ProgramSummary;
  try {
    summary = await runProgramConformance({ mode, subject, scenarios: names });
  } catch (e) {
    // Bad names, an unreadable directory: one line, not a stack trace.
    err(`percpu-maps conformance --programs: ${(e as Error).message}\n`);
    return 2;
  }
  out(`${formatProgramSummary(summary)}\n`);
  return programExitCode(summary);
}

/** What the exit code says about a summary. */
export function exitCode(s: Summary): number {
  if (s.unavailable || s.errors.length > 0) return 2;
  return s.differ > 0 ? 1 : 0;
}

/** Run the command with argv (the words after `conformance`); prints to stdout/stderr; the exit code. */
export async function conformanceCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  if (argv.includes('--programs')) return programsCommand(argv.filter((a) => a !== '--programs'), out, err);
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
