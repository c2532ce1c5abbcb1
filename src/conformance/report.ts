// The summary a conformance run prints: counts, the judging kernel, every difference in full.

import type { Summary } from './runner.js';
import { outcomeText } from './schema.js';

export function formatSummary(s: Summary): string {
  const out: string[] = [];
  const judge = s.mode === 'check'
    ? `recorded on kernel ${s.kernels.join(', ') || '(none)'}, ${s.cpus.join('/') || '?'} possible CPUs`
    : s.unavailable ? 'kernel: unavailable' : `kernel ${s.kernels.join(', ')}, ${s.cpus.join('/')} possible CPUs, bpftool ${s.bpftool}`;
  out.push(`percpu-maps conformance (${s.mode}): ${judge}`);
  if (s.unavailable) {
    out.push(`LIVE HALF SKIPPED: ${s.unavailable}`);
  }
  out.push(`  scenarios ${s.scenarios}  steps ${s.steps}  agree ${s.agree}  differ ${s.differ}  skipped ${s.skipped}` +
    (s.mode !== 'check' && !s.unavailable ? `  (kernel side: ${s.drivers.bpftool} through bpftool, ${s.drivers.native} through the native helper)` : ''));
  for (const d of s.differences) {
    out.push('');
    out.push(`DIFFERENCE ${d.scenario} step ${d.step} (${d.op})  [${d.file}]`);
    out.push(`  input:  ${JSON.stringify(d.input)}`);
    out.push(`  kernel: ${outcomeText(d.kernel)}`);
    out.push(`  ours:   ${outcomeText(d.ours)}`);
  }
  if (s.skips.length > 0 && !s.unavailable) out.push('', ...skipLines(s.skips));
  for (const e of s.errors) out.push(`ERROR ${e}`);
  return out.join('\n');
}

/** Skipped steps grouped by reason, so a hundred of them read as one line each reason. */
export function skipLines(skips: readonly { scenario: string; step: number; reason: string }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const k of skips) {
    const where = k.step > 0 ? `${k.scenario}#${k.step}` : k.scenario;
    byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), where]);
  }
  return [...byReason].map(([reason, where]) =>
    `SKIPPED ${where.length === 1 ? where[0] : `${where.length}x (${where.slice(0, 6).join(', ')}${where.length > 6 ? ', ...' : ''})`}: ${reason}`);
}
