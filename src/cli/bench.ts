// `percpu-maps bench`: the benchmark suite (counters side by side with plain JS and the kernel,
// map operations from handlers, user-space calls), its JSON and HTML reports, and the regression
// gate (--compare, --against, --update-baseline).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { COUNTER_STRATEGIES, type SuiteOptions } from '../workloads/bench/suite.js';
import { PACKAGE_ROOT } from '../workloads/bench/kernel.js';
import { UsageError, intOption, listOption, parse } from './args.js';
import { DEFAULT_THRESHOLD, gate, type GateScope } from './bench/compare.js';
import { measure } from './bench/measure.js';
import { renderHtml } from './bench/report-html.js';
import { GROUPS, RESULT_SCHEMA, SIDES, parseResult, type BenchResult, type RowGroup, type Settings, type Side } from './bench/schema.js';
import { renderComparison, renderResult } from './bench/table.js';
import { runAgainst } from './bench/against.js';

export const BASELINE = join(PACKAGE_ROOT, 'bench', 'baseline.json');

export const BENCH_HELP = `usage: percpu-maps bench [--quick | --smoke] [options]

Times the sys_clone counters (racy, atomic, spinlock adaptive and pure spin, percpu at slab
strides 8/64/128, percpu with a locked add at strides 8/128) at 1, 2, 4 and 8 simulated CPUs,
each next to a plain-JS worker doing the same work by hand and to the same program as real
eBPF run by the kernel (BPF_PROG_TEST_RUN on each CPU at once); then map operations from
handlers and user-space calls. Each row: fresh threads, a warm-up in every thread, then
samples; the tables show medians with a 95% interval.

presets:
  (default)          10 samples of ~100 ms per row, ~300 ms warm-up  (a few minutes)
  --quick            5 samples of ~40 ms, ~120 ms warm-up
  --smoke            2 samples of ~2 ms, 2 CPUs, three strategies     (seconds; checks that it runs)

selection:
  --cpus N,..        simulated CPU counts of the counter matrix (default 1,2,4,8)
  --group G,..       counter, map, user (default all)
  --side S,..        ours, plain, kernel (default all)
  --strategy S,..    ${COUNTER_STRATEGIES.join(', ')}
  --filter REGEX     only rows whose 'side:id' matches, e.g. 'percpu-128' or '^ours:map/'
  --samples N  --sample-ms MS  --warmup-ms MS
  --kernel-hook H    tc (default) or xdp: the program type the kernel reference runs as

output:
  --json             print the result JSON on stdout instead of the tables
  --out FILE         where to write the result JSON (default bench/results/<time>.json)
  --html FILE        where to write the HTML report (default: next to the JSON); --no-html: none
  --input FILE       use a result file instead of measuring (to compare or report again)
  --schema           print the result file's JSON Schema

regression gate:
  --compare FILE     compare with a baseline result: change %, stars, verdict per row and per
                     within-run ratio; exit 1 when one regressed with ** and beyond the threshold
  --threshold PCT    the threshold in % (default ${DEFAULT_THRESHOLD * 100})
  --gate rows,ratios what the exit code looks at (default: ratios, plus rows when the baseline
                     comes from the same CPU model and core count)
  --against REV      build git revision REV in a temporary worktree and run it and this tree
                     interleaved (A B A B ...) in one run, then compare (exit 1 on a regression)
  --rounds N         rounds of A B for --against (default 4)
  --update-baseline  write the result to bench/baseline.json`;

interface Preset {
  samples: number;
  sampleMs: number;
  warmupMs: number;
  cpus: number[];
  strategies: (typeof COUNTER_STRATEGIES)[number][];
  mapCpus: number[];
  userCpus: number[];
  dumpEntries: number;
}

function preset(name: Settings['preset']): Preset {
  const cores = availableParallelism();
  switch (name) {
    case 'full':
      return { samples: 10, sampleMs: 100, warmupMs: 300, cpus: [1, 2, 4, 8], strategies: [...COUNTER_STRATEGIES], mapCpus: [...new Set([1, Math.min(cores, 2)])], userCpus: [1, 2, 4, 8, 16, 64], dumpEntries: 100_000 };
    case 'quick':
      return { samples: 5, sampleMs: 40, warmupMs: 120, cpus: [1, 2, 4, 8], strategies: [...COUNTER_STRATEGIES], mapCpus: [...new Set([1, Math.min(cores, 2)])], userCpus: [1, 2, 8, 64], dumpEntries: 100_000 };
    case 'smoke':
      return { samples: 2, sampleMs: 2, warmupMs: 5, cpus: [2], strategies: ['atomic', 'spinlock', 'percpu-128'], mapCpus: [1], userCpus: [2], dumpEntries: 1000 };
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parse('bench', argv, {
    quick: { type: 'boolean' },
    smoke: { type: 'boolean' },
    cpus: { type: 'string' },
    group: { type: 'string' },
    side: { type: 'string' },
    strategy: { type: 'string' },
    filter: { type: 'string' },
    samples: { type: 'string' },
    'sample-ms': { type: 'string' },
    'warmup-ms': { type: 'string' },
    'kernel-hook': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    html: { type: 'string' },
    'no-html': { type: 'boolean' },
    input: { type: 'string' },
    compare: { type: 'string' },
    threshold: { type: 'string' },
    gate: { type: 'string' },
    against: { type: 'string' },
    rounds: { type: 'string' },
    'update-baseline': { type: 'boolean' },
    schema: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP + '\n');
    return 0;
  }
  if (values.schema) {
    process.stdout.write(JSON.stringify(RESULT_SCHEMA, null, 2) + '\n');
    return 0;
  }
  if (values.quick && values.smoke) throw new UsageError('bench', '--quick and --smoke are two presets; pick one');
  const presetName: Settings['preset'] = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const p = preset(presetName);
  const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const cpusRaw = str(values.cpus);
  const cpus = cpusRaw === undefined ? p.cpus : cpusRaw.split(',').map((c) => intOption('bench', 'cpus', c.trim(), 1, 1024)!);
  const groups = listOption('bench', 'group', values.group, GROUPS) ?? [...GROUPS];
  const sides = listOption('bench', 'side', values.side, SIDES) ?? [...SIDES];
  const strategies = listOption('bench', 'strategy', values.strategy, COUNTER_STRATEGIES) ?? p.strategies;
  let filter: RegExp | undefined;
  if (str(values.filter) !== undefined) {
    try {
      filter = new RegExp(str(values.filter)!);
    } catch (e) {
      throw new UsageError('bench', `--filter is not a regular expression: ${(e as Error).message}`);
    }
  }
  const samples = intOption('bench', 'samples', values.samples, 1, 10_000) ?? p.samples;
  const sampleMs = intOption('bench', 'sample-ms', values['sample-ms'], 1, 600_000) ?? p.sampleMs;
  const warmupMs = intOption('bench', 'warmup-ms', values['warmup-ms'], 0, 600_000) ?? p.warmupMs;
  const hook = str(values['kernel-hook']) ?? 'tc';
  if (hook !== 'tc' && hook !== 'xdp') throw new UsageError('bench', `--kernel-hook must be tc or xdp, got '${hook}'`);
  const thresholdPct = values.threshold === undefined ? DEFAULT_THRESHOLD * 100 : Number(values.threshold);
  if (!(thresholdPct >= 0 && thresholdPct < 1000)) throw new UsageError('bench', `--threshold must be a percentage from 0 to 1000, got '${String(values.threshold)}'`);
  const scope = listOption('bench', 'gate', values.gate, ['rows', 'ratios'] as const) as GateScope[] | undefined;
  const rounds = intOption('bench', 'rounds', values.rounds, 1, 100) ?? 4;
  const json = values.json === true;
  const log = (s: string) => process.stderr.write(s + '\n');
  if (values.input !== undefined && values.against !== undefined) throw new UsageError('bench', '--input and --against both give the results to report; pick one');

  // Read the baseline first: a bad file should fail before minutes of measuring.
  const comparePath = str(values.compare);
  const base = comparePath !== undefined ? parseResult(comparePath, readText(comparePath)) : undefined;

  const settings: Settings = { preset: presetName, samples, sampleMs, warmupMs, cpus, groups: groups as RowGroup[], ...(filter ? { filter: filter.source } : {}) };
  const suiteOptions: SuiteOptions = {
    cpus, mapCpus: p.mapCpus, userCpus: p.userCpus, groups: groups as RowGroup[], sides: sides as Side[], strategies, samples, sampleMs, warmupMs,
    dumpEntries: p.dumpEntries, kernelHook: hook, ...(filter ? { filter } : {}),
  };

  if (str(values.against) !== undefined) {
    return runAgainst({ revision: str(values.against)!, rounds, argv: forwardArgs(argv), thresholdPct, scope, json, log, outPath: str(values.out), htmlPath: str(values.html) });
  }

  let result: BenchResult;
  let exitCode = 0;
  if (str(values.input) !== undefined) {
    result = parseResult(str(values.input)!, readText(str(values.input)!));
  } else {
    const run = await measure(suiteOptions, settings, log, json);
    result = run.result;
    exitCode = run.exitCode;
  }

  const outPath = str(values.out) ?? (str(values.input) !== undefined ? undefined : join('bench', 'results', `${stamp(new Date(result.createdAt))}.json`));
  const htmlPath = values['no-html'] ? undefined : str(values.html) ?? (outPath ? outPath.replace(/\.json$/, '') + '.html' : undefined);
  let comparison: { report: ReturnType<typeof gate>; baseLabel: string } | undefined;
  if (base) comparison = { report: gate(base, result, { threshold: thresholdPct / 100, ...(scope ? { scope } : {}) }), baseLabel: `${comparePath} (${base.env.commit.slice(0, 12)}, ${base.createdAt})` };

  if (outPath) writeFile(outPath, JSON.stringify(result, null, 1) + '\n');
  if (htmlPath) writeFile(htmlPath, renderHtml(result, comparison));
  if (values['update-baseline']) {
    if (result.interrupted) throw new Error('the run was interrupted; not writing a partial baseline');
    writeFile(BASELINE, JSON.stringify(result, null, 1) + '\n');
  }

  if (json) {
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  } else {
    process.stdout.write(renderResult(result) + '\n');
    if (comparison) process.stdout.write('\n' + renderComparison(comparison.report, comparison.baseLabel, thresholdPct) + '\n');
    const files = [outPath && `JSON ${relative(process.cwd(), resolve(outPath))}`, htmlPath && `HTML report ${relative(process.cwd(), resolve(htmlPath))}`, values['update-baseline'] && `baseline ${relative(process.cwd(), BASELINE)}`].filter(Boolean);
    if (files.length) process.stdout.write(`\nwrote ${files.join(', ')}\n`);
  }
  if (comparison && comparison.report.exitCode !== 0) return exitCode || comparison.report.exitCode;
  return exitCode;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError('bench', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The selection options to hand to both sides of --against (not the output or gate options). */
function forwardArgs(argv: string[]): string[] {
  const keep = new Set(['--quick', '--smoke', '--cpus', '--group', '--side', '--strategy', '--filter', '--samples', '--sample-ms', '--warmup-ms', '--kernel-hook']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!keep.has(name)) {
      if (!a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') && !['--json', '--update-baseline'].includes(a)) i++;
      continue;
    }
    out.push(a);
    if (!a.includes('=') && !['--quick', '--smoke'].includes(a)) out.push(argv[++i] ?? '');
  }
  return out;
}
