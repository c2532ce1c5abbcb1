// The figures issue 5 asks for, checked on one run's rows (all measured in the same run). A
// target whose rows were not measured says so instead of passing or failing.

import type { BenchResult, Row, Side } from './schema.js';

export interface TargetCheck {
  name: string;
  /** What was measured, in words and numbers. */
  value: string;
  status: 'met' | 'missed' | 'not measured' | 'shown';
}

function rate(result: BenchResult, side: Side, id: string): number | undefined {
  const r: Row | undefined = result.rows.find((x) => x.side === side && x.id === id && x.status === 'measured');
  return r?.summary?.rate;
}

const m = (x: number) => `${(x / 1e6).toFixed(1)} M/s`;
const x2 = (x: number) => `${x.toFixed(2)}x`;

/** The targets at `cpus` simulated CPUs (2 on the reference machine). */
export function checkTargets(result: BenchResult, cpus = 2): TargetCheck[] {
  const out: TargetCheck[] = [];
  const at = (s: string, c = cpus) => `counter/${s}/cpus=${c}`;
  const percpu = rate(result, 'ours', at('percpu-128'));
  const kernelPercpu = rate(result, 'kernel', at('percpu'));
  const plainPercpu = rate(result, 'plain', at('percpu-128'));
  const add = (name: string, ok: boolean | undefined, value: string) => out.push({ name, value, status: ok === undefined ? 'not measured' : ok ? 'met' : 'missed' });

  add(`percpu >= 2x the kernel's percpu @${cpus}`, percpu !== undefined && kernelPercpu !== undefined ? percpu >= 2 * kernelPercpu : undefined,
    percpu !== undefined && kernelPercpu !== undefined ? `${m(percpu)} / ${m(kernelPercpu)} = ${x2(percpu / kernelPercpu)}` : '');
  add(`percpu >= 260 M events/s @${cpus}`, percpu !== undefined ? percpu >= 260e6 : undefined, percpu !== undefined ? m(percpu) : '');
  add(`percpu within 1.5x of plain JS @${cpus}`, percpu !== undefined && plainPercpu !== undefined ? plainPercpu / percpu <= 1.5 : undefined,
    percpu !== undefined && plainPercpu !== undefined ? `plain JS ${m(plainPercpu)} is ${x2(plainPercpu / percpu)} ours` : '');
  const spin = rate(result, 'ours', at('spinlock'));
  add(`spinlock (adaptive) >= 8 M events/s @${cpus}`, spin !== undefined ? spin >= 8e6 : undefined, spin !== undefined ? m(spin) : '');
  const atomic = rate(result, 'ours', at('atomic'));
  add(`atomic >= 16 M events/s @${cpus}`, atomic !== undefined ? atomic >= 16e6 : undefined, atomic !== undefined ? m(atomic) : '');
  const spin8 = rate(result, 'ours', at('spinlock', 8));
  add(`spinlock (adaptive) @8 keeps >= 50% of @${cpus}`, spin8 !== undefined && spin !== undefined ? spin8 >= 0.5 * spin : undefined,
    spin8 !== undefined && spin !== undefined ? `${m(spin8)} = ${(100 * spin8 / spin).toFixed(0)}% of ${m(spin)}` : '');
  const pure = rate(result, 'ours', at('spin'));
  const pure8 = rate(result, 'ours', at('spin', 8));
  out.push({ name: `spinlock (pure spin) @8 against @${cpus}`, status: pure8 !== undefined && pure !== undefined ? 'shown' : 'not measured',
    value: pure8 !== undefined && pure !== undefined ? `${m(pure8)} = ${(100 * pure8 / pure).toFixed(0)}% of ${m(pure)}` : '' });
  for (const kind of ['percpu-atomic', 'percpu'] as const) {
    const s8 = rate(result, 'ours', at(`${kind}-8`));
    const s128 = rate(result, 'ours', at(`${kind}-128`));
    out.push({ name: `false sharing: ${kind === 'percpu' ? 'percpu (plain add)' : 'percpu atomic'} stride 8 / stride 128 @${cpus}`, status: s8 !== undefined && s128 !== undefined ? 'shown' : 'not measured',
      value: s8 !== undefined && s128 !== undefined ? `${m(s8)} / ${m(s128)} = ${x2(s8 / s128)}` : '' });
  }
  return out;
}
