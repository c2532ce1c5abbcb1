// The teaching demos: use after delete on a preallocated hash map, and the verifier's view of the
// race lab's programs.
import { describe, expect, it } from 'vitest';
import { renderSeedKernel, useAfterDelete, verifierDemo } from '../src/cli/demo.js';
import { Runtime } from '../src/cpu/runtime.js';
import { askKernelAboutSeed, runSeed } from '../src/workloads/seed/index.js';
import { kernelAvailability } from '../src/object/index.js';

describe('demo use-after-delete', () => {
  const r = useAfterDelete();

  it('shows the deleted key gone from user space while CPU 0 still writes through its view', () => {
    expect(r.steps.map((s) => s.userSpace)).toEqual([
      '1: packets 10 octets 1500',
      '1: packets 10 octets 1500',
      '1: ENOENT',
      '1: ENOENT',
      '1: ENOENT; 2: packets 1 octets 40',
      '1: ENOENT; 2: packets 2 octets 100',
    ]);
  });

  it('ends with key 2 carrying CPU 0\'s stray writes, because the element was reused for it', () => {
    expect(r.key2).toEqual({ packets: 2, octets: 100 });
    expect(r.sameElement).toBe(true);
  });
});

describe('demo verifier', () => {
  it('rejects only the seed\'s spinlock program, for its lock in a kprobe', async () => {
    expect(await verifierDemo()).toEqual([
      { strategy: 'racy', verdict: 'accepted', lines: [] },
      { strategy: 'atomic', verdict: 'accepted', lines: [] },
      { strategy: 'spinlock', verdict: 'rejected', lines: ['kprobe/sys_clone: tracing progs cannot use bpf_spin_lock yet'] },
      { strategy: 'percpu', verdict: 'accepted', lines: [] },
    ]);
  });
});

describe('demo seed', () => {
  // One CPU: on two, the article reads val->cnt after unlocking, so a CPU can read the other's later count.
  it('runs the article\'s program: an exact count, and a trace line per event from the count of 20 on', async () => {
    const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
    try {
      const r = await runSeed(rt, 40);
      expect([r.events, r.count, r.returns]).toEqual([40, 40, [{ value: 0, count: 40 }]]);
      expect(r.trace.length).toBe(21);
      expect(r.cpus).toBe(1);
      expect(new Set(r.trace.map((l) => l.replace(/.*bpf_trace_printk: /, '')))).toEqual(new Set(['sys_clone count: 0']));
    } finally {
      await rt.close();
    }
  });
});

describe('demo seed: what the live kernel says of the same object', () => {
  it('shows the kernel\'s refusal where it can be asked, else says why it was not', async () => {
    const a = await kernelAvailability();
    const k = await askKernelAboutSeed();
    if (!a.ok) {
      expect(k).toEqual({ asked: false, why: a.reason });
      expect(renderSeedKernel(k)).toEqual([`the live kernel was not asked (--verify kernel): ${a.reason}`]);
      return;
    }
    expect(k.asked && k.verdict.verdict === 'refused' && [k.verdict.program, k.verdict.errno, k.verdict.via]).toEqual(['hello_world', 'EINVAL', 'raw']);
    expect(renderSeedKernel(k)).toEqual([
      'the live kernel\'s verifier (through raw BPF_PROG_LOAD, as libbpf 1.x refuses its SEC("maps")) refuses hello_world (EINVAL):',
      "  map 'counter' has to have BTF in order to use bpf_spin_lock",
    ]);
  });
});
