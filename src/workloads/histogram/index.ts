// The histogram workload: run the program, sum the per-CPU slots, print them as bcc does.

import { siblingModule } from '../../cpu/module-url.js';
import { withProgram, type Workload, type WorkloadOptions, type WorkloadResult } from '../workload.js';
import { MAX_SLOTS } from './program.js';

/** bcc's print_log2_hist layout: one line per slot up to the last non-empty one, 40 stars wide. */
export function printLog2Hist(counts: readonly number[], unit: string): string {
  let last = -1;
  let max = 0;
  counts.forEach((c, i) => {
    if (c > 0) last = i;
    if (c > max) max = c;
  });
  if (last <= 0) return '';
  const wide = last > 32;
  const width = wide ? 20 : 40;
  const col = wide ? 20 : 10;
  const lines = [wide ? `${' '.repeat(15)}${unit.padEnd(29)} : count     distribution` : `     ${unit.padEnd(19)} : count     distribution`];
  for (let i = 1; i <= last; i++) {
    let low = (2 ** i) / 2;
    const high = 2 ** i - 1;
    if (low === high) low -= 1;
    const c = counts[i] ?? 0;
    const stars = max === 0 ? 0 : Math.min(width, Math.floor((width * c) / max));
    lines.push(`${String(low).padStart(col)} -> ${String(high).padEnd(col)} : ${String(c).padEnd(8)} |${'*'.repeat(stars).padEnd(width)}|`);
  }
  return lines.join('\n');
}

export const histogram: Workload = {
  name: 'histogram',
  title: 'log2 latency histogram in a PERCPU_ARRAY (bcc style)',
  explain: 'Each CPU counts latencies into its own copy of 64 log2 slots without locks or atomics; user space sums the CPUs per slot, the way bcc tools read per-CPU histograms.',
  defaultEvents: 1_000_000,
  probe: 'kretprobe/vfs_read',
  async run(options: WorkloadOptions): Promise<WorkloadResult> {
    const rt = options.runtime;
    return withProgram(rt, siblingModule(import.meta.url, 'program'), async (prog) => {
      const run = await rt.run({ probe: this.probe, events: options.events });
      const hist = prog.maps.hist!;
      const counts: number[] = [];
      for (let slot = 0; slot < MAX_SLOTS; slot++) counts.push(hist.sum(slot));
      return {
        run,
        text: printLog2Hist(counts, 'nsecs'),
        data: { unit: 'nsecs', slots: counts },
        ...(options.dump ? { maps: { hist: hist.dump() } } : {}),
      };
    });
  },
};
