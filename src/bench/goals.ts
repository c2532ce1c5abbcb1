// The project's performance goals, checked on one run's rows. Every goal is a ratio of two rows
// measured in the same run (so a busy machine slows both; rows of one cell are compared round by
// round), said in the user's terms, except the per-CPU sum's absolute rate; a goal whose
// rows were not measured says so instead of passing or failing. The smoke preset's samples (a few
// ms) cannot judge a goal, so its reports leave them out (goalsApply).

import { pairedLogRatios, rateRatio } from './compare.js';
import type { BenchResult, Row, Side } from './schema.js';

export interface GoalCheck {
  name: string;
  /** What was measured, in words and numbers. */
  value: string;
  status: 'met' | 'not met' | 'not measured';
}

/** Whether a result's samples are long enough to judge the goals on. */
export function goalsApply(result: BenchResult): boolean {
  return result.settings.preset !== 'smoke';
}

function row(result: BenchResult, side: Side, id: string): Row | undefined {
  return result.rows.find((x) => x.side === side && x.id === id && x.status === 'measured' && x.summary !== undefined);
}

const m = (x: number) => `${(x / 1e6).toFixed(x >= 1e7 ? 1 : 2)} M/s`;
const x2 = (x: number) => `${x.toFixed(2)}x`;

/** For each of our rows matching `pick`, ours / kernel; the goal is met when every one reaches `min`. */
function againstKernel(result: BenchResult, name: string, pick: (r: Row) => boolean, min: number): GoalCheck {
  const pairs = result.rows.filter((r) => r.side === 'ours' && pick(r) && r.summary).flatMap((r) => {
    const k = row(result, 'kernel', r.id);
    return k ? [{ r, ratio: rateRatio(r, k) }] : [];
  });
  if (pairs.length === 0) return { name, status: 'not measured', value: '' };
  const short = pairs.filter((p) => p.ratio < min).sort((a, b) => a.ratio - b.ratio);
  const fmt = (p: { r: Row; ratio: number }) => `${p.r.label}${p.r.cpus ? ` @${p.r.cpus}` : ''} ${x2(p.ratio)}`;
  return {
    name,
    status: short.length === 0 ? 'met' : 'not met',
    value: short.length === 0
      ? `all ${pairs.length} rows; lowest ${fmt([...pairs].sort((a, b) => a.ratio - b.ratio)[0]!)}`
      : `${pairs.length - short.length} of ${pairs.length} rows; below: ${short.map(fmt).join(', ')}`,
  };
}

/** A goal on num / den: judged round by round when the two rows are of one cell (see rateRatio). */
function ratioGoal(name: string, num: Row | undefined, den: Row | undefined, min: number, say: (n: number, d: number, ratio: string) => string): GoalCheck {
  if (!num?.summary || !den?.summary) return { name, status: 'not measured', value: '' };
  const r = rateRatio(num, den);
  const how = pairedLogRatios(num, den) ? ' round by round' : '';
  return { name, status: r >= min ? 'met' : 'not met', value: say(num.summary.rate, den.summary.rate, `${x2(r)}${how}`) };
}

/** The goals at `cpus` simulated CPUs (2 on the reference machine). */
export function checkGoals(result: BenchResult, cpus = 2): GoalCheck[] {
  const at = (s: string, c = cpus) => `counter/${s}/cpus=${c}`;
  const ours = (id: string) => row(result, 'ours', id);
  const out: GoalCheck[] = [];
  out.push(ratioGoal(`percpu counter within 2x of plain JS doing the same work @${cpus}`, ours(at('percpu-128')), row(result, 'plain', at('percpu-128')), 0.5,
    (n, d, r) => `ours ${m(n)}, plain JS ${m(d)} (medians); ours / plain JS ${r}`));
  out.push(ratioGoal(`percpu counter at least 2x the kernel's @${cpus}`, ours(at('percpu-128')), row(result, 'kernel', at('percpu-128')), 2,
    (n, d, r) => `ours ${m(n)}, kernel ${m(d)} (medians); ours / kernel ${r}`));
  out.push(ratioGoal(`adaptive spinlock at 8 CPUs keeps half its rate @${cpus}`, ours(at('spinlock', 8)), ours(at('spinlock')), 0.5,
    (n, d, r) => `@8 ${m(n)}, @${cpus} ${m(d)} (medians); @8 / @${cpus} ${r}`));
  out.push(againstKernel(result, `map operations from handlers at least 0.5x the kernel's`, (r) => r.group === 'map', 0.5));
  out.push(againstKernel(result, `LRU update with eviction at least 0.5x the kernel's @${cpus}`, (r) => r.group === 'map' && r.params.op === 'evict' && r.cpus === cpus, 0.5));
  out.push(againstKernel(result, `user-space calls at least as fast as the kernel's bpf(2)`, (r) => r.group === 'user', 1));
  out.push(againstKernel(result, `batch lookup at least 0.5x the kernel's`, (r) => r.group === 'user' && r.params.op === 'lookup-batch', 0.5));
  // Real eBPF objects translated to WebAssembly (issue 14): the C programs against the hardware
  // limit (plain C threads doing the same counter) and against the TypeScript handlers.
  const obj = (id: string) => row(result, 'object', id);
  const perCpu = obj(at('percpu-128'));
  out.push({ name: `percpu counter from C at least 1,000 M events/s @${cpus}`, status: !perCpu ? 'not measured' : perCpu.summary!.rate >= 1e9 ? 'met' : 'not met', value: perCpu ? m(perCpu.summary!.rate) : '' });
  out.push(ratioGoal(`percpu counter from C within 3x of C threads @${cpus}`, perCpu, row(result, 'limit', at('percpu-128')), 1 / 3,
    (n, d, r) => `C object ${m(n)}, C threads ${m(d)} (medians); object / C threads ${r}`));
  for (const s of ['atomic', 'spinlock'] as const) {
    out.push(ratioGoal(`${s} counter from C at least 0.5x C threads @${cpus}`, obj(at(s)), row(result, 'limit', at(s)), 0.5,
      (n, d, r) => `C object ${m(n)}, C threads ${m(d)} (medians); object / C threads ${r}`));
  }
  const lookup = `map/hash/lookup/cpus=${cpus}`;
  out.push(ratioGoal(`hash lookup from C at least the TypeScript handler's rate @${cpus}`, obj(lookup), ours(lookup), 1,
    (n, d, r) => `C object ${m(n)}, TypeScript ${m(d)} (medians); object / TypeScript ${r}`));
  for (const map of ['percpu_array', 'percpu_hash']) {
    const r = ours(`user/${map}/lookup-sum/cpus=${cpus}`);
    out.push({ name: `${map} lookup + sum over ${cpus} CPUs at least 5 M calls/s`, status: !r ? 'not measured' : r.summary!.rate >= 5e6 ? 'met' : 'not met', value: r ? m(r.summary!.rate) : '' });
  }
  return out;
}
