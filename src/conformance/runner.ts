// Play scenarios three ways:
//   check   percpu-maps against the outcomes recorded in the files (needs no kernel);
//   live    percpu-maps and the kernel side by side, step by step;
//   record  live, and the kernel's outcomes written into the files.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mapOpsFor } from '../maps/bpf-types.js';
import { MAP_TYPE_NAMES } from '../maps/uapi.js';
import { DriverError } from './bpftool.js';
import { probeKernel, type KernelEnv } from './env.js';
import { PACKAGE_ROOT } from '../cpu/module-url.js';
import { NativeHelper } from './native.js';
import { parseScenario, outcomeText, ScenarioError, type MapDef, type Outcome, type Scenario, type Step } from './schema.js';
import { KernelSide, OursSide } from './sides.js';

export type Mode = 'check' | 'live' | 'record';

export const SCENARIO_DIR = join(PACKAGE_ROOT, 'test', 'conformance');

export interface ConformanceOptions {
  mode?: Mode;
  /** Scenario names (file names without .json) or paths; default: every file in the scenario directory. */
  scenarios?: string[];
  /** Where scenario names are looked up. */
  dir?: string;
  /** The bpftool binary (default: $BPFTOOL, then PATH, then /usr/sbin/bpftool). */
  bpftool?: string;
  /** Progress lines (one per scenario). */
  log?: (line: string) => void;
}

export interface Difference {
  file: string;
  scenario: string;
  /** 1-based step number. */
  step: number;
  op: string;
  /** The step as written in the file, without its recorded outcome. */
  input: Omit<Step, 'kernel'>;
  kernel: Outcome;
  ours: Outcome;
}

export interface Skip {
  scenario: string;
  /** 1-based step number, or 0 for the whole scenario. */
  step: number;
  reason: string;
}

export interface Summary {
  mode: Mode;
  /** uname -r of the kernel that judged: this machine's (live, record), the recording's (check). */
  kernels: string[];
  /** Possible CPUs the simulation ran with. */
  cpus: number[];
  bpftool: string | null;
  scenarios: number;
  steps: number;
  agree: number;
  differ: number;
  skipped: number;
  differences: Difference[];
  skips: Skip[];
  /** Driver failures and malformed files: the run could not judge these. */
  errors: string[];
  /** Steps played through bpftool and through the native helper (live, record). */
  drivers: { bpftool: number; native: number };
  /** Set when the kernel half could not run at all: one line saying why. */
  unavailable?: string;
}

/** Resolve names and paths to scenario files; every *.json in the directory when none are given. */
export function scenarioFiles(names: readonly string[] | undefined, dir = SCENARIO_DIR): string[] {
  if (!names || names.length === 0) {
    if (!existsSync(dir)) throw new Error(`no scenario directory ${dir}; pass scenario files`);
    return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
  }
  return names.map((n) => {
    for (const candidate of [n, `${n}.json`, join(dir, n), join(dir, `${n}.json`)]) {
      if (existsSync(candidate) && candidate.endsWith('.json')) return resolve(candidate);
    }
    const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => f.slice(0, -5)) : [];
    throw new Error(`no scenario '${n}'; ${known.length ? `the scenarios are ${known.join(', ')}` : `no scenario directory ${dir}`} (or give the path of a .json file)`);
  });
}

function emptySummary(mode: Mode): Summary {
  return {
    mode, kernels: [], cpus: [], bpftool: null, scenarios: 0, steps: 0, agree: 0, differ: 0, skipped: 0,
    differences: [], skips: [], errors: [], drivers: { bpftool: 0, native: 0 },
  };
}

function same(a: Outcome, b: Outcome): boolean {
  return outcomeText(a) === outcomeText(b);
}

function addUnique<T>(list: T[], x: T): void {
  if (!list.includes(x)) list.push(x);
}

/** The map types percpu-maps has; scenarios of other types are skipped, loudly. */
function unsupportedType(scenario: Scenario): string | null {
  for (const s of scenario.steps) {
    if ((s.op === 'create' || (s.op === 'object' && s.map)) && mapOpsFor(MAP_TYPE_NAMES[s.map!.type]) === undefined) return s.map!.type;
  }
  return null;
}

/** Steps that work without the scenario's map: objects, and what is done with them. */
function needsMap(step: Step): boolean {
  if (step.on !== undefined && step.op !== 'perfOutput') return false;
  return !['create', 'object', 'progRun', 'perfRead', 'perfRaw', 'perfPoll', 'perfCtl'].includes(step.op);
}

/** The map a step works on: the scenario's (from its create), or the object map it names. */
function stepDef(step: Step, def: MapDef | null, objectDefs: ReadonlyMap<string, MapDef>): MapDef {
  if (step.op === 'object' && step.map) return step.map;
  if (step.on !== undefined && objectDefs.has(step.on)) return objectDefs.get(step.on)!;
  return def!;
}

export async function runConformance(options: ConformanceOptions = {}): Promise<Summary> {
  const mode = options.mode ?? 'check';
  const log = options.log ?? (() => {});
  const summary = emptySummary(mode);
  const files = scenarioFiles(options.scenarios, options.dir);
  const scenarios: Scenario[] = [];
  for (const f of files) {
    try {
      scenarios.push(parseScenario(f, readFileSync(f, 'utf8')));
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      summary.errors.push(e.message);
    }
  }

  let env: KernelEnv | null = null;
  let native: NativeHelper | null = null;
  let kernel: KernelSide | null = null;
  if (mode !== 'check') {
    const probe = await probeKernel({ bpftool: options.bpftool });
    if (!probe.ok) {
      summary.unavailable = probe.reason;
      summary.scenarios = scenarios.length;
      for (const sc of scenarios) {
        summary.steps += sc.steps.length;
        summary.skipped += sc.steps.length;
        summary.skips.push({ scenario: sc.name, step: 0, reason: `the kernel half was skipped: ${probe.reason}` });
      }
      return summary;
    }
    env = probe.env;
    summary.kernels.push(env.kernel);
    summary.cpus.push(env.cpus);
    summary.bpftool = env.bpftoolVersion;
    native = await NativeHelper.start(env.helperBin);
    kernel = new KernelSide(env.bpftoolBin, native, env.cpus);
  }

  try {
    for (const sc of scenarios) {
      summary.scenarios++;
      summary.steps += sc.steps.length;
      const missing = unsupportedType(sc);
      if (missing) {
        summary.skipped += sc.steps.length;
        summary.skips.push({ scenario: sc.name, step: 0, reason: `percpu-maps has no ${missing} maps yet` });
        continue;
      }
      if (mode === 'check') {
        checkScenario(sc, summary);
      } else {
        await liveScenario(sc, kernel!, env!, mode, summary);
      }
      log(`${sc.name}: ${sc.steps.length} steps`);
    }
  } finally {
    if (kernel) summary.drivers = { ...kernel.driverSteps };
    await native?.stop();
  }
  return summary;
}

/** Check: our outcomes against the recorded ones, with the recording's CPU count. */
function checkScenario(sc: Scenario, summary: Summary): void {
  if (!sc.recorded) {
    summary.skipped += sc.steps.length;
    summary.skips.push({ scenario: sc.name, step: 0, reason: `never recorded: run percpu-maps conformance --record ${sc.name}` });
    return;
  }
  addUnique(summary.kernels, sc.recorded.kernel);
  addUnique(summary.cpus, sc.recorded.cpus);
  const ours = new OursSide(sc.recorded.cpus);
  let def: MapDef | null = null;
  const objectDefs = new Map<string, MapDef>();
  let createStep = 0;
  try {
    sc.steps.forEach((step, i) => {
      if (step.op === 'create') {
        def = step.map!;
        createStep = i + 1;
      }
      if (step.op === 'object' && step.map && step.kernel !== undefined && 'ok' in step.kernel) objectDefs.set(step.name!, step.map);
      const skip = (reason: string): void => {
        summary.skipped++;
        summary.skips.push({ scenario: sc.name, step: i + 1, reason });
      };
      if (step.kernel === undefined) return skip('no recorded kernel outcome');
      if (needsMap(step) && !ours.hasMap) {
        // The recorded create failed (and so did ours, or that difference is already counted).
        return skip(`no map: the create in step ${createStep} failed`);
      }
      judge(sc, i, step, step.kernel, ours.step(step, stepDef(step, def, objectDefs)), summary);
    });
  } finally {
    ours.dropObjects();
  }
}

function judge(sc: Scenario, i: number, step: Step, kernel: Outcome, ours: Outcome, summary: Summary): void {
  if (same(kernel, ours)) {
    summary.agree++;
    return;
  }
  summary.differ++;
  const { kernel: _recorded, ...input } = step;
  summary.differences.push({ file: sc.file, scenario: sc.name, step: i + 1, op: step.op, input, kernel, ours });
}

/** Live (and record): each step on the kernel, then on ours. */
async function liveScenario(sc: Scenario, kernel: KernelSide, env: KernelEnv, mode: Mode, summary: Summary): Promise<void> {
  const ours = new OursSide(env.cpus);
  const outcomes: (Outcome | undefined)[] = [];
  let def: MapDef | null = null;
  const objectDefs = new Map<string, MapDef>();
  let createStep = 0;
  let failed = false;
  try {
    for (let i = 0; i < sc.steps.length; i++) {
      const step = sc.steps[i]!;
      if (step.op === 'create') {
        def = step.map!;
        createStep = i + 1;
      }
      const skip = (reason: string): void => {
        outcomes.push(undefined);
        summary.skipped++;
        summary.skips.push({ scenario: sc.name, step: i + 1, reason });
      };
      if (step.cpu !== undefined && step.cpu >= env.cpus) {
        skip(`names CPU ${step.cpu}, but this machine has ${env.cpus} possible CPUs`);
        continue;
      }
      if (needsMap(step) && !kernel.hasMap) {
        skip(`no map: the kernel refused the create in step ${createStep}`);
        continue;
      }
      let k: Outcome;
      try {
        k = await kernel.step(step, stepDef(step, def, objectDefs));
      } catch (e) {
        if (!(e instanceof DriverError)) throw e;
        summary.errors.push(`${sc.file}: step ${i + 1} (${step.op}): ${e.message}`);
        failed = true;
        // The kernel map is now in an unknown state: the rest of the scenario cannot be judged.
        summary.skipped += sc.steps.length - i;
        summary.skips.push({ scenario: sc.name, step: i + 1, reason: 'the kernel driver failed (see errors); rest of the scenario skipped' });
        break;
      }
      outcomes.push(k);
      if (step.op === 'object' && step.map && 'ok' in k) objectDefs.set(step.name!, step.map);
      if (needsMap(step) && !ours.hasMap) {
        // The kernel created the map and we did not: that difference is counted at the create.
        summary.skipped++;
        summary.skips.push({ scenario: sc.name, step: i + 1, reason: `no map on our side: our create in step ${createStep} failed` });
        continue;
      }
      judge(sc, i, step, k, ours.step(step, stepDef(step, def, objectDefs)), summary);
    }
  } finally {
    // The scenario's map first: closing an object map it holds (an inner map) is then its last reference.
    await kernel.dropMap();
    await kernel.dropObjects();
    ours.dropObjects();
  }
  if (mode === 'record' && !failed) writeRecording(sc, outcomes, env);
}

/** Write the kernel's outcomes (and what recorded them) into the scenario file. */
function writeRecording(sc: Scenario, outcomes: (Outcome | undefined)[], env: KernelEnv): void {
  const steps = sc.steps.map((s, i) => {
    const { kernel: _old, ...rest } = s;
    const o = outcomes[i];
    return o === undefined ? rest : { ...rest, kernel: o };
  });
  const recorded = { kernel: env.kernel, cpus: env.cpus, bpftool: env.bpftoolVersion };
  writeFileSync(sc.file, formatScenario({ description: sc.description, recorded, steps }));
}

/** The file layout: pretty at the top, one line per step, so a recording diffs step by step. */
export function formatScenario(s: { description: string; recorded?: unknown; steps: unknown[] }): string {
  const lines = ['{', `  "description": ${JSON.stringify(s.description)},`];
  if (s.recorded !== undefined) lines.push(`  "recorded": ${JSON.stringify(s.recorded)},`);
  lines.push('  "steps": [');
  s.steps.forEach((st, i) => lines.push(`    ${JSON.stringify(st)}${i < s.steps.length - 1 ? ',' : ''}`));
  lines.push('  ]', '}', '');
  return lines.join('\n');
}
