// The summary a program conformance run prints: counts, what judged what, every difference in full
// (the step as written, both outcomes, the map entries that differ), skips grouped by reason.

import { skipLines } from '../report.js';
import { canonical } from './dump.js';
import type { ProgramSummary } from './runner.js';

export function formatProgramSummary(s: ProgramSummary): string {
  const out: string[] = [];
  const kernel = s.kernels.length > 0 ? `kernel ${s.kernels.join(', ')}, ${s.cpus.join('/')} possible CPUs` : 'no kernel';
  const what = s.mode === 'record' ? `recording (${kernel}); compared with ${s.judged}` : `${s.judged} judged by the ${s.judge} (${kernel})`;
  out.push(`percpu-maps conformance --programs (${s.mode}): ${what}`);
  if (s.unavailable) out.push(`NOT RUN: ${s.unavailable}`);
  out.push(`  scenarios ${s.scenarios}  steps ${s.steps}  agree ${s.agree}  differ ${s.differ}  skipped ${s.skipped}` +
    (s.mode === 'record' ? `  recorded ${s.recorded}` : ''));
  for (const d of s.differences) {
    out.push('');
    out.push(`DIFFERENCE ${d.scenario} step ${d.step} (${d.op})  [${d.file}]`);
    out.push(`  input:  ${JSON.stringify(d.input)}`);
    const strip = (o: unknown): string => {
      if (o === undefined) return '(none)';
      const { maps: _m, ...rest } = o as Record<string, unknown>;
      return canonical(rest);
    };
    out.push(`  ${d.judge}: ${strip(d.expected)}`);
    out.push(`  ${d.judged}: ${strip(d.actual)}`);
    if (d.why) out.push(`  why: ${d.why}`);
    for (const m of d.maps) out.push(`  map ${m}`);
  }
  if (s.skips.length > 0 && !s.unavailable) out.push('', ...skipLines(s.skips));
  for (const e of s.errors) out.push(`ERROR ${e}`);
  return out.join('\n');
}

/** Exit code: 0 when every step agreed (or was recorded), 1 on differences, 2 when some step could not be judged. */
export function programExitCode(s: ProgramSummary): number {
  if (s.unavailable || s.errors.length > 0) return 2;
  if (s.differ > 0) return 1;
  // A skipped step was not judged: never report it as a pass.
  return s.mode !== 'record' && s.skipped > 0 ? 2 : 0;
}
