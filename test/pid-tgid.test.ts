// bpf_get_current_pid_tgid() returns tgid << 32 | pid as a JS number (exact for a tgid below 2^21),
// so C's `>> 32` does not work on it (JS shifts take the low 32 bits: `x >> 32` is x's low word,
// the thread id) and `>> 32n` throws (a number is not a BigInt). tgidOf/pidOf are the idiom's home.
import { describe, expect, it } from 'vitest';
import { bpf_get_current_pid_tgid, pidOf, tgidOf } from '../src/index.js';
import { setCurrentTask, setSmpProcessorId } from '../src/smp/smp.js';

describe('tgidOf and pidOf', () => {
  const value = 2_097_151 * 2 ** 32 + 4_194_303; // tgid 2^21 - 1 (the largest exact), thread 4194303

  it("tgidOf is C's pid_tgid >> 32: the process id", () => {
    expect(tgidOf(value)).toBe(2_097_151);
    expect(value >> 32).toBe(4_194_303); // what the C idiom gives on a number: the thread id
  });

  it("pidOf is C's (u32)pid_tgid: the thread id", () => {
    expect(pidOf(value)).toBe(4_194_303);
  });

  it('split what bpf_get_current_pid_tgid() returns for the current task', () => {
    setSmpProcessorId(0);
    setCurrentTask({ pid: 1234, tgid: 1200, comm: 'bash', index: 0 });
    const v = bpf_get_current_pid_tgid();
    expect([tgidOf(v), pidOf(v)]).toEqual([1200, 1234]);
  });
});
