// Driving one program of a loaded object as BPF_PROG_TEST_RUN does: by name (a section such as
// 'tc' may hold several), repeated over the same packet, its context written back (syscall), the
// kernel's argument errnos before anything runs; and what loadObject takes for it: only some
// programs, whole global-data sections set before load. Objects: test/conformance/programs.

import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { ProgramLoadError, RunError, TestRunError } from '../src/cpu/errors.js';
import { testRunRefusal } from '../src/cpu/test-run.js';

const obj = (name: string): string => new URL(`./conformance/programs/${name}.bpf.o`, import.meta.url).pathname;
const u32s = (...v: number[]): Uint8Array => new Uint8Array(new Uint32Array(v).buffer);
const u64s = (...v: bigint[]): Uint8Array => new Uint8Array(new BigUint64Array(v).buffer);
const seq = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('running one program of an object by name, as BPF_PROG_TEST_RUN does', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('runs the named program alone on the CPU asked, and says which section it came from', async () => {
    const o = await rt.loadObject(obj('testrun'), { programs: ['tc_len', 'xdp_len'] });
    try {
      const r = await rt.run({ program: 'xdp_len', cpu: 1, data: seq(20) });
      expect([r.probe, r.perCpu.map((c) => c.events), r.lastReturn]).toEqual(['xdp', [0, 1], 20 + 14]);
    } finally {
      await o.unload();
    }
  });

  it('names the programs there are when asked for one that is not loaded', async () => {
    const o = await rt.loadObject(obj('testrun'), { programs: ['tc_len'] });
    try {
      await expect(rt.run({ program: 'xdp_len', cpu: 0, data: seq(20) })).rejects.toThrow(new RunError("no loaded object has a program 'xdp_len'; loaded programs: tc_len"));
      await expect(rt.run({ program: 'tc_len', probe: 'tc', cpu: 0 })).rejects.toThrow('give probe or program, not both');
    } finally {
      await o.unload();
    }
  });

  it('gives each CPU\'s last return value', async () => {
    const o = await rt.loadObject(obj('testrun'), { programs: ['tc_len'] });
    try {
      const r = await rt.run({ program: 'tc_len', perCpu: [2, 3], data: seq(20) });
      expect(r.perCpu.map((c) => c.lastReturn)).toEqual([20 + 14, 20 + 14]);
      const idle = await rt.run({ program: 'tc_len', perCpu: [0, 1], data: seq(20) });
      expect(idle.perCpu.map((c) => c.lastReturn)).toEqual([undefined, 34]);
    } finally {
      await o.unload();
    }
  });

  it('gives back the context a syscall program wrote (ctxOut)', async () => {
    const o = await rt.loadObject(obj('testrun'), { programs: ['sys_double'] });
    try {
      const r = await rt.run({ program: 'sys_double', cpu: 0, ctx: u32s(21, 0, 9) });
      expect([r.lastReturn, [...new Uint32Array(r.ctxOut!.buffer)]]).toEqual([22, [21, 42, 9]]);
    } finally {
      await o.unload();
    }
  });
});

describe('loadObject\'s programs and sections', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('loads only the programs named (the others are not translated)', async () => {
    const o = await rt.loadObject(obj('globals'), { programs: ['globals'] });
    try {
      expect(o.programs.map((p) => p.name)).toEqual(['globals']);
    } finally {
      await o.unload();
    }
  });

  it('refuses a program name the object does not have, listing its programs', async () => {
    await expect(rt.loadObject(obj('globals'), { programs: ['nope'] })).rejects.toThrow(
      new ProgramLoadError("object 'globals': programs names 'nope', which is not one of its programs (globals, write_rodata)"));
  });

  it('sets a whole section before load, by section or by libbpf\'s map name; .rodata is frozen with it', async () => {
    // struct { u32 knob; u32 pad; u64 mask; char greeting[8]; }: knob 9, mask 15
    const rodata = new Uint8Array(24);
    rodata.set(u32s(9), 0);
    rodata.set(u64s(15n), 8);
    for (const key of ['.rodata', 'globals.rodata']) {
      const o = await rt.loadObject(obj('globals'), { programs: ['globals'], sections: { [key]: rodata } });
      try {
        expect((await rt.run({ program: 'globals', cpu: 0, ctx: u32s(8, 0, 0, 0) })).lastReturn).toBe(9015);
        expect(o.maps['globals.rodata']!.info().frozen).toBe(true);
      } finally {
        await o.unload();
      }
    }
  });

  it('refuses a section of the wrong size or one the object does not have', async () => {
    await expect(rt.loadObject(obj('globals'), { sections: { '.rodata': new Uint8Array(8) } })).rejects.toThrow(
      "object 'globals': section '.rodata' is 24 bytes; sections must give all of them, got 8");
    await expect(rt.loadObject(obj('globals'), { sections: { '.data.nope': new Uint8Array(8) } })).rejects.toThrow(
      "object 'globals': sections names '.data.nope', which is not one of its global-data sections (.data, .rodata, .data.custom, .rodata.limits, .bss)");
  });
});

describe('Runtime.testRun: BPF_PROG_TEST_RUN\'s contract', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    await rt.loadObject(obj('testrun'));
  });
  afterAll(async () => { await rt.close(); });

  const refused = async (p: Promise<unknown>): Promise<[string, string]> => {
    const e = await p.catch((x: unknown) => x);
    if (!(e instanceof TestRunError)) throw new Error(`expected a TestRunError, got ${String(e)}`);
    return [e.errno, e.message];
  };

  it('repeats over the same packet: an XDP program inverting a byte, run twice, gives the packet back', async () => {
    const data = seq(64, 0x80);
    const once = await rt.testRun('xdp_len', { cpu: 0, data });
    expect([once.retval, once.dataOut![15]]).toEqual([64 + 0x8e, 0x8f ^ 0xff]);
    const twice = await rt.testRun('xdp_len', { cpu: 0, data, repeat: 2 });
    expect([twice.retval, [...twice.dataOut!]]).toEqual([64 + 0x8e, [...data]]);
  });

  it('gives a syscall program\'s context back, written', async () => {
    const r = await rt.testRun('sys_double', { cpu: 1, ctx: u32s(0x80000000, 0) });
    expect([r.retval, [...new Uint32Array(r.ctxOut!.buffer)]]).toEqual([0x80000001, [0x80000000, 0]]);
  });

  it('refuses a packet shorter than an Ethernet header with EINVAL, running nothing', async () => {
    expect(await refused(rt.testRun('tc_len', { data: seq(13) }))).toEqual(['EINVAL',
      "test run of program 'tc_len' refused with EINVAL, as BPF_PROG_TEST_RUN refuses it: the packet is 13 bytes; test_run needs at least 14 (an Ethernet header). Nothing ran."]);
    expect((await refused(rt.testRun('xdp_len', {})))[0]).toBe('EINVAL');
  });

  it('refuses any repeat, a packet, or a context shorter than the arguments read for raw_tp', async () => {
    const args = u64s(1n, 2n, 3n);
    expect((await rt.testRun('raw_args', { ctx: args })).retval).toBe(6);
    expect((await refused(rt.testRun('raw_args', { ctx: args, repeat: 1 })))[0]).toBe('EINVAL');
    expect((await refused(rt.testRun('raw_args', { ctx: args, data: seq(14) })))[0]).toBe('EINVAL');
    expect((await refused(rt.testRun('raw_args', { ctx: u64s(1n, 2n) })))[1]).toContain('the context is 16 bytes, but the program reads or writes it up to byte 24');
    expect((await refused(rt.testRun('raw_args', { ctx: new Uint8Array(104) })))[0]).toBe('EINVAL');
  });

  it('answers ENOTSUPP for program types that cannot be test-run', async () => {
    expect(await refused(rt.testRun('kp', { ctx: new Uint8Array(8) }))).toEqual(['ENOTSUPP',
      "test run of program 'kp' refused with ENOTSUPP, as BPF_PROG_TEST_RUN refuses it: kprobe programs cannot be test-run (their program type has no test_run). Nothing ran."]);
    expect((await refused(rt.testRun('tp', { data: seq(14) })))[0]).toBe('ENOTSUPP');
  });

  it('says what it does not model instead of running it some other way', async () => {
    await expect(rt.testRun('xdp_len', { data: seq(20), ctx: new Uint8Array(24) })).rejects.toThrow(
      "test run of program 'xdp_len': an xdp_md context from user space is not modelled: run XDP programs with a packet only");
  });
});

describe('testRunRefusal: the __sk_buff a tc test run takes', () => {
  const data = new Uint8Array(20);
  it('takes mark, priority, cb and zero bytes past the struct', () => {
    const ctx = new Uint8Array(200);
    ctx[8] = 0xff;
    ctx[32] = 1;
    ctx[50] = 7;
    expect(testRunRefusal('tc', 0, { data, ctx })).toBeNull();
  });
  it('refuses len (which it computes itself) with EINVAL and a non-zero tail with E2BIG', () => {
    expect(testRunRefusal('tc', 0, { data, ctx: Uint8Array.of(1) })?.errno).toBe('EINVAL');
    const tail = new Uint8Array(193);
    tail[192] = 1;
    expect(testRunRefusal('tc', 0, { data, ctx: tail })?.errno).toBe('E2BIG');
  });
  it('refuses a packet past 3712 bytes (a page less the skb\'s headroom and shared info)', () => {
    expect(testRunRefusal('tc', 0, { data: new Uint8Array(3712) })).toBeNull();
    expect(testRunRefusal('tc', 0, { data: new Uint8Array(3713) })?.errno).toBe('EINVAL');
  });
});
