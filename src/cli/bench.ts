// `percpu-maps bench`: the arguments of the benchmark (src/bench): presets, selection, output and
// the regression gate (--compare, --against, --update-baseline). Parsing and checking them is all
// that happens here; runBench and runAgainst do the work.

import { readFileSync } from 'node:fs';
import { runAgainst } from '../bench/against.js';
import { DEFAULT_THRESHOLD, type GateScope } from '../bench/compare.js';
import { runBench, type BenchPlan, type PresetName } from '../bench/run.js';
import { GROUPS, RESULT_SCHEMA, SIDES, parseResult, type BenchResult, type RowGroup, type Side } from '../bench/schema.js';
import { COUNTER_STRATEGIES } from '../bench/suite.js';
import { UsageError, intOption, listOption, parse, type ParsedArgs } from './args.js';

export const BENCH_HELP = `usage: percpu-maps bench [--quick | --smoke] [options]

Times the sys_clone counters (racy, atomic, spinlock adaptive and pure spin, percpu at slab
strides 8/64/128, percpu with a locked add at strides 8/128) at 1, 2, 4 and 8 simulated CPUs,
map operations from handlers on every map type, and user-space calls. Every row sits beside
references doing the same job in the same run: plain JS written by hand (and the JS floor,
a constant slot), the kernel (the same program as eBPF through BPF_PROG_TEST_RUN on each CPU
at once; user-space calls through bpf(2)), and C threads pinned to CPUs (the hardware limit).
A cell's rows are warmed up, then sampled in turns; the tables show medians with a 95%
interval and ours / each reference.

presets:
  (default)          10 samples of ~100 ms per row, ~300 ms warm-up  (a few minutes)
  --quick            5 samples of ~40 ms, ~120 ms warm-up
  --smoke            2 samples of ~2 ms, 2 CPUs, three strategies     (seconds; checks that it runs)

selection:
  --cpus N,..        simulated CPU counts of the counter matrix (default 1,2,4,8)
  --group G,..       counter, map, user (default all)
  --side S,..        ours, object, plain, kernel, limit (default all)
  --strategy S,..    ${COUNTER_STRATEGIES.join(', ')}
  --filter REGEX     only rows whose 'side:id' matches, e.g. 'percpu-128' or '^ours:map/'
  --samples N  --sample-ms MS  --warmup-ms MS
  --kernel-hook H    tc (default) or xdp: the program type the kernel reference runs as

output:
  --json             print the result JSON on stdout instead of the tables
  --markdown         print the figure tables as Markdown (the README's) instead
  --out FILE         where to write the result JSON (default: bench/results/<time>.json under
                     the current directory; never inside node_modules)
  --html FILE        where to write the HTML report (default: next to the JSON); --no-html: none
  --input FILE       use a result file instead of measuring (to compare or report again)
  --schema           print the result file's JSON Schema

regression gate:
  --compare FILE     compare with a baseline result: change %, stars, verdict per row and per
                     within-run ratio; exit 1 when one regressed with ** and beyond the threshold
  --threshold PCT    the threshold in % (default ${DEFAULT_THRESHOLD * 100})
  --gate rows,ratios what the exit code looks at (default: our rows and every ratio when the
                     baseline comes from the same CPU model and core count; else only the
                     ratios ours / plain JS, which hold across machine kinds)
  --against REV      build git revision REV in a temporary worktree and run it and this tree
                     interleaved (A B A B ...) in one run, then compare (exit 1 on a regression)
  --rounds N         rounds of A B for --against (default 4)
  --update-baseline  write the result to bench/baseline.json`;

const OPTIONS = {
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
  markdown: { type: 'boolean' },
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
} as const;

type Values = ParsedArgs['values'];

/** A string option's value (a boolean cannot reach here for them: parseArgs checks the types). */
const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parse('bench', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(BENCH_HELP + '\n');
    return 0;
  }
  if (values.schema) {
    process.stdout.write(JSON.stringify(RESULT_SCHEMA, null, 2) + '\n');
    return 0;
  }
  const { plan, rounds } = benchPlan(values);
  if (values.input !== undefined && values.against !== undefined) throw new UsageError('bench', '--input and --against both give the results to report; pick one');
  // Read the baseline first: a bad file should fail before minutes of measuring.
  const compare = str(values.compare);
  if (compare !== undefined) plan.base = { path: compare, result: readResult(compare) };
  const against = str(values.against);
  if (against !== undefined) {
    const log = (s: string) => process.stderr.write(s + '\n');
    return runAgainst({ revision: against, rounds, argv: forwardArgs(argv), thresholdPct: plan.thresholdPct, scope: plan.scope, json: plan.json, log,
      outPath: str(values.out), htmlPath: str(values.html) });
  }
  const input = str(values.input);
  if (input !== undefined) plan.input = readResult(input);
  return runBench(plan);
}

/** The options as a plan, checked in the order they are listed in the help: a bad value is a UsageError naming the option. */
function benchPlan(values: Values): { plan: BenchPlan; rounds: number } {
  if (values.quick && values.smoke) throw new UsageError('bench', '--quick and --smoke are two presets; pick one');
  const preset: PresetName = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const cpus = str(values.cpus)?.split(',').map((c) => intOption('bench', 'cpus', c.trim(), 1, 1024)!);
  const groups = (listOption('bench', 'group', values.group, GROUPS) ?? [...GROUPS]) as RowGroup[];
  const sides = (listOption('bench', 'side', values.side, SIDES) ?? [...SIDES]) as Side[];
  const strategies = listOption('bench', 'strategy', values.strategy, COUNTER_STRATEGIES);
  let filter: RegExp | undefined;
  if (str(values.filter) !== undefined) {
    try {
      filter = new RegExp(str(values.filter)!);
    } catch (e) {
      throw new UsageError('bench', `--filter is not a regular expression: ${(e as Error).message}`);
    }
  }
  const samples = intOption('bench', 'samples', values.samples, 1, 10_000);
  const sampleMs = intOption('bench', 'sample-ms', values['sample-ms'], 1, 600_000);
  const warmupMs = intOption('bench', 'warmup-ms', values['warmup-ms'], 0, 600_000);
  const hook = str(values['kernel-hook']) ?? 'tc';
  if (hook !== 'tc' && hook !== 'xdp') throw new UsageError('bench', `--kernel-hook must be tc or xdp, got '${hook}'`);
  const thresholdPct = values.threshold === undefined ? DEFAULT_THRESHOLD * 100 : Number(values.threshold);
  if (!(thresholdPct >= 0 && thresholdPct < 1000)) throw new UsageError('bench', `--threshold must be a percentage from 0 to 1000, got '${String(values.threshold)}'`);
  const scope = listOption('bench', 'gate', values.gate, ['rows', 'ratios'] as const) as GateScope[] | undefined;
  const rounds = intOption('bench', 'rounds', values.rounds, 1, 100) ?? 4;
  const plan: BenchPlan = {
    preset, cpus, groups, sides, strategies, filter, samples, sampleMs, warmupMs, kernelHook: hook, json: values.json === true, markdown: values.markdown === true,
    outPath: str(values.out), htmlPath: values['no-html'] ? null : str(values.html), thresholdPct, scope, updateBaseline: values['update-baseline'] === true,
  };
  return { plan, rounds };
}

function readResult(path: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError('bench', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseResult(path, text);
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
