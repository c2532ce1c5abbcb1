// The teaching demos: use after delete on a preallocated hash map, and the verifier's view of the
// race lab's programs.
import { describe, expect, it } from 'vitest';
import { useAfterDelete, verifierDemo } from '../src/cli/demo.js';

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
