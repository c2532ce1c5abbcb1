import { expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { histogram, printLog2Hist } from '../src/workloads/histogram/index.js';
import { log2l } from '../src/workloads/histogram/program.js';

it('log2l is bcc bpf_log2l: 0 for 0, floor(log2 v) + 1 otherwise', () => {
  expect([0, 1, 2, 3, 4, 1023, 1024, 2 ** 40].map(log2l)).toEqual([0, 1, 2, 2, 3, 10, 11, 41]);
});

it('prints a histogram as bcc print_log2_hist does', () => {
  expect(printLog2Hist([0, 1, 0, 4, 2], 'usecs')).toBe([
    '     usecs               : count     distribution',
    '         0 -> 1          : 1        |**********                              |',
    '         2 -> 3          : 0        |                                        |',
    '         4 -> 7          : 4        |****************************************|',
    '         8 -> 15         : 2        |********************                    |',
  ].join('\n'));
});

it('counts every event in exactly one slot, summed over the CPUs', async () => {
  const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
  try {
    const r = await histogram.run({ runtime: rt, events: 10_001 });
    const slots = (r.data as { slots: number[] }).slots;
    expect(slots.reduce((a, b) => a + b, 0)).toBe(10_001);
    expect(slots.slice(0, 11).every((c) => c === 0)).toBe(true);
  } finally {
    await rt.close();
  }
});
