// One benchmark run, from chosen settings to the files and the exit code: measure the suite (or
// take a result file), compare with a baseline, write the JSON and HTML reports, print the tables.
// The command line (src/cli/bench.ts) parses the arguments into a BenchPlan and calls runBench.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../cpu/module-url.js';
import { resultsDir } from './results-dir.js';
import { gate, type GateScope } from './compare.js';
import type { KernelHook } from './kernel.js';
import { measure } from './measure.js';
import { renderHtml } from './report-html.js';
import type { BenchResult, RowGroup, Settings, Side } from './schema.js';
import { COUNTER_STRATEGIES, type CounterStrategy, type SuiteOptions } from './suite.js';
import { renderComparison, renderMarkdown, renderResult } from './table.js';

/** The committed baseline (--update-baseline writes it, --compare usually reads it). */
export const BASELINE = join(PACKAGE_ROOT, 'bench', 'baseline.json');

export type PresetName = Settings['preset'];

interface Preset {
  samples: number;
  sampleMs: number;
  warmupMs: number;
  cpus: number[];
  strategies: CounterStrategy[];
  mapCpus: number[];
  userCpus: number[];
  dumpEntries: number;
}

function preset(name: PresetName): Preset {
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

/** What to run and where the results go; unset numbers and lists come from the preset. */
export interface BenchPlan {
  preset: PresetName;
  cpus?: number[];
  groups: RowGroup[];
  sides: Side[];
  strategies?: CounterStrategy[];
  filter?: RegExp;
  samples?: number;
  sampleMs?: number;
  warmupMs?: number;
  kernelHook: KernelHook;
  /** Print the result JSON on stdout instead of the tables. */
  json: boolean;
  /** Print the figure tables as Markdown instead of the tables. */
  markdown?: boolean;
  /** Where the JSON goes (default bench/results/<time>.json under the current directory, see results-dir.ts; none for an input result). */
  outPath?: string;
  /** Where the HTML report goes (default: next to the JSON); null: no report. */
  htmlPath?: string | null;
  /** A result read from a file instead of measuring. */
  input?: BenchResult;
  /** The baseline to compare with, and its path for the tables. */
  base?: { path: string; result: BenchResult };
  thresholdPct: number;
  scope?: GateScope[];
  updateBaseline: boolean;
}

/** Measure (or take plan.input), report, gate. Returns the exit code (1: the gate found a regression). */
export async function runBench(plan: BenchPlan): Promise<number> {
  const p = preset(plan.preset);
  const log = (s: string) => process.stderr.write(s + '\n');
  const samples = plan.samples ?? p.samples;
  const sampleMs = plan.sampleMs ?? p.sampleMs;
  const warmupMs = plan.warmupMs ?? p.warmupMs;
  const cpus = plan.cpus ?? p.cpus;
  const { filter } = plan;

  let result: BenchResult;
  let exitCode = 0;
  if (plan.input !== undefined) {
    result = plan.input;
  } else {
    const settings: Settings = { preset: plan.preset, samples, sampleMs, warmupMs, cpus, groups: plan.groups, ...(filter ? { filter: filter.source } : {}) };
    const suiteOptions: SuiteOptions = {
      cpus, mapCpus: p.mapCpus, userCpus: p.userCpus, groups: plan.groups, sides: plan.sides, strategies: plan.strategies ?? p.strategies,
      samples, sampleMs, warmupMs, dumpEntries: p.dumpEntries, kernelHook: plan.kernelHook, ...(filter ? { filter } : {}),
    };
    const run = await measure(suiteOptions, settings, log, plan.json);
    result = run.result;
    exitCode = run.exitCode;
  }

  const outPath = plan.outPath ?? (plan.input !== undefined ? undefined : join(resultsDir(), `${stamp(new Date(result.createdAt))}.json`));
  const htmlPath = plan.htmlPath === null ? undefined : plan.htmlPath ?? (outPath ? outPath.replace(/\.json$/, '') + '.html' : undefined);
  const { base } = plan;
  const comparison = base && {
    report: gate(base.result, result, { threshold: plan.thresholdPct / 100, ...(plan.scope ? { scope: plan.scope } : {}) }),
    baseLabel: `${base.path} (${base.result.env.commit.slice(0, 12)}, ${base.result.createdAt})`,
  };

  if (outPath) writeFile(outPath, JSON.stringify(result, null, 1) + '\n');
  if (htmlPath) writeFile(htmlPath, renderHtml(result, comparison));
  if (plan.updateBaseline) {
    if (result.interrupted) throw new Error('the run was interrupted; not writing a partial baseline');
    writeFile(BASELINE, JSON.stringify(result, null, 1) + '\n');
  }

  if (plan.json) {
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  } else if (plan.markdown) {
    process.stdout.write(renderMarkdown(result) + '\n');
  } else {
    process.stdout.write(renderResult(result) + '\n');
    if (comparison) process.stdout.write('\n' + renderComparison(comparison.report, comparison.baseLabel, plan.thresholdPct) + '\n');
    const files = [outPath && `JSON ${relative(process.cwd(), resolve(outPath))}`, htmlPath && `HTML report ${relative(process.cwd(), resolve(htmlPath))}`, plan.updateBaseline && `baseline ${relative(process.cwd(), BASELINE)}`].filter(Boolean);
    if (files.length) process.stdout.write(`\nwrote ${files.join(', ')}\n`);
  }
  if (comparison && comparison.report.exitCode !== 0) return exitCode || comparison.report.exitCode;
  return exitCode;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
