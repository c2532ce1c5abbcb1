// Issue 16's map types used from compiled eBPF objects (test/objects/src/{tailchain,mim,mim-bad}.bpf.c,
// and the program conformance suite's lpm-trie and perf-output objects, which these tests share):
// LPM trie lookups and updates, bpf_perf_event_output into the perf rings
// user space reads, bpf_tail_call through prog arrays (static initialisers and user space's
// placements), and lookups through maps of maps with inner maps placed after load. Each runs on
// the runtime's CPUs (worker threads), checked and unchecked where the memory checks matter.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, type LoadedObject } from '../src/cpu/runtime.js';
import { ProgramFaultError, ProgramLoadError } from '../src/cpu/errors.js';
import { createMap } from '../src/maps/syscall.js';
import { perfBuffer } from '../src/maps/perf-buffer.js';
import { openObject, type BpfObject } from '../src/object/index.js';
import { Asm, R2, R3, R4, R5, R10 } from './jit/asm.js';
import { errnoOf, le32, objectUrl } from './helpers.js';

const path = (file: string): string => objectUrl(file).pathname;
/** An object of the program conformance suite (test/conformance/programs). */
const conformance = (file: string): string => new URL(`./conformance/programs/${file}`, import.meta.url).pathname;
/** A 20-byte packet starting with these bytes. */
const pkt = (...bytes: number[]): Uint8Array => {
  const p = new Uint8Array(20);
  p.set(bytes);
  return p;
};
const i32 = (retval: number): number => retval | 0;
const progOf = (o: LoadedObject, name: string) => o.programs.find((p) => p.name === name)!;

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
});
afterAll(async () => {
  await rt.close();
});

describe('LPM trie from a compiled program (lpm-trie.bpf.o)', () => {
  for (const checked of [true, false]) {
    it(`finds the longest prefix, inserts with BPF_NOEXIST and deletes (checked: ${checked})`, async () => {
      const o = await rt.loadObject(conformance('lpm-trie.bpf.o'), { checked });
      try {
        const routes = o.maps.routes!;
        expect(routes.attr.flags & 1).toBe(1); // BPF_F_NO_PREALLOC, from the object's map_flags
        const key = (len: number, ...a: number[]): Uint8Array => new Uint8Array([len, 0, 0, 0, ...a]);
        routes.update(key(16, 192, 168, 0, 0), le32(16));
        routes.update(key(24, 192, 168, 1, 0), le32(24));
        const lookup = async (cpu: number, ...a: number[]) => (await rt.testRun('lpm_lookup', { cpu, data: pkt(...a) })).retval;
        expect(await lookup(0, 192, 168, 1, 7)).toBe(24);
        expect(await lookup(1, 192, 168, 2, 7)).toBe(16);
        expect(await lookup(0, 10, 1, 2, 3)).toBe(0);
        const op = async (what: number) => i32((await rt.testRun('lpm_update', { cpu: 1, data: pkt(0, 0, 0, 0, what) })).retval);
        expect(await op(1)).toBe(0);
        expect(await op(1)).toBe(-17); // -EEXIST
        expect(await lookup(0, 10, 1, 2, 3)).toBe(8);
        expect(routes.lookup(key(8, 10, 0, 0, 0))).toEqual(le32(8));
        expect(await op(2)).toBe(0);
        expect(await op(2)).toBe(-2); // -ENOENT
        expect(await lookup(0, 10, 1, 2, 3)).toBe(0);
      } finally {
        await o.unload();
      }
    });
  }
});

describe('bpf_perf_event_output from a compiled program (perf-output.bpf.o)', () => {
  it('sizes the perf event array without max_entries to the CPUs, as libbpf does', async () => {
    const o = await rt.loadObject(conformance('perf-output.bpf.o'));
    try {
      expect(o.maps.events!.attr.maxEntries).toBe(2);
    } finally {
      await o.unload();
    }
  });

  it('delivers each CPU\'s samples in order to the user-space consumer, and counts what a full ring loses', async () => {
    const o = await rt.loadObject(conformance('perf-output.bpf.o'));
    try {
      // One page per CPU: 4088 bytes of ring hold 170 samples of 24 bytes; nobody reads during the run.
      const pb = perfBuffer(o.maps.events!, { pageCount: 1 });
      const r = await rt.run({ probe: 'kprobe/perf_out', events: 20_000 });
      expect(r.events).toBe(20_000);
      const seen = [[] as number[], [] as number[]];
      const lost = [0, 0];
      pb.consume((s, size, cpu) => {
        expect(size).toBe(12); // 8 bytes of data, raw size rounded so the record ends 8-aligned
        const v = new DataView(s.bytes.buffer, s.bytes.byteOffset);
        expect(v.getUint32(0, true)).toBe(cpu);
        seen[cpu]!.push(v.getUint32(4, true));
      }, (cpu, n) => { lost[cpu]! += n; });
      for (const cpu of [0, 1]) {
        // The first 170 of the CPU's 10,000 samples, in order; the rest were lost (-ENOSPC) and counted.
        expect(seen[cpu]).toEqual([...Array(170).keys()]);
        expect(pb.buffers[cpu]!.event.lostSamples).toBe(10_000 - 170);
      }
      expect(new Map(r.returns!.map((x) => [x.value | 0, x.count]))).toEqual(new Map([[0, 340], [-28, 19_660]]));
      // Room again: the next sample is preceded by a PERF_RECORD_LOST with the count.
      await rt.run({ probe: 'kprobe/perf_out', events: 2, cpu: 1 });
      pb.consume(() => {}, (cpu, n) => { lost[cpu]! += n; });
      expect(lost).toEqual([0, 10_000 - 170]);
      pb.close();
    } finally {
      await o.unload();
    }
  });

  it('loses nothing with rings large enough', async () => {
    const o = await rt.loadObject(conformance('perf-output.bpf.o'), { checked: false });
    try {
      const pb = perfBuffer(o.maps.events!, { pageCount: 64 });
      let n = 0;
      const run = rt.run({ probe: 'kprobe/perf_out', events: 4000 });
      await pb.consumeUntil(run, () => { n++; }, undefined, 10);
      pb.consume(() => { n++; });
      expect(n).toBe(4000);
      expect(pb.lostSamples).toEqual([0, 0]);
      pb.close();
    } finally {
      await o.unload();
    }
  });

  it('returns the kernel\'s errnos: -ENOENT empty slot, -E2BIG index, -EOPNOTSUPP another CPU\'s event, -EINVAL other flag bits', async () => {
    const o = await rt.loadObject(conformance('perf-output.bpf.o'));
    try {
      const flags = (lo: number, hi = 0): Uint8Array => {
        const d = new Uint8Array(20);
        new DataView(d.buffer).setUint32(0, lo, true);
        new DataView(d.buffer).setUint32(4, hi, true);
        return d;
      };
      const out = async (lo: number, hi = 0) => i32((await rt.testRun('perf_flags', { cpu: 0, data: flags(lo, hi) })).retval);
      const CURRENT = 0xffffffff;
      expect(await out(CURRENT)).toBe(-2); // no perf buffer opened: empty slots
      const pb = perfBuffer(o.maps.events!, { pageCount: 1 });
      expect(await out(CURRENT)).toBe(0);
      expect(await out(0)).toBe(0); // index 0 is CPU 0's event, and this runs on CPU 0
      expect(await out(1)).toBe(-95); // -EOPNOTSUPP: CPU 1's event
      expect(await out(2)).toBe(-7); // -E2BIG: max_entries is 2
      expect(await out(0, 1 << 20)).toBe(-22); // -EINVAL: a bit above BPF_F_INDEX_MASK and BPF_F_CTXLEN_MASK
      const got: string[] = [];
      pb.consume((s, size, cpu) => got.push(`${cpu}:${[...s.bytes.subarray(0, 8)].join(',')}`));
      expect(got).toEqual(['0:7,0,0,0,9,0,0,0', '0:7,0,0,0,9,0,0,0']);
      // A tc program asking for packet bytes after the data (BPF_F_CTXLEN_MASK): not built, said so.
      const e = (await rt.testRun('perf_flags', { cpu: 0, data: flags(CURRENT, 4) }).catch((x: unknown) => x)) as ProgramFaultError;
      expect(e).toBeInstanceOf(ProgramFaultError);
      expect(e.message).toMatch(/BPF_F_CTXLEN_MASK bits \(4 bytes of the packet appended to the sample\) is not supported here/);
      pb.close();
    } finally {
      await o.unload();
    }
  });
});

describe('bpf_tail_call from a compiled program (tailchain.bpf.o)', () => {
  const PROGS = ['hop', 'finish', 'from_sub'];

  for (const checked of [true, false]) {
    it(`a program calling itself through the static initialiser's slot runs 1 + 33 times, then falls through (checked: ${checked})`, async () => {
      const o = await rt.loadObject(path('tailchain.bpf.o'), { programs: PROGS, checked });
      try {
        // The slot holds hop's id, as libbpf's initialiser places the program's fd.
        expect(o.maps.chain!.lookup(le32(0))).toEqual(le32(progOf(o, 'hop').id));
        for (const cpu of [0, 1]) {
          const r = await rt.testRun('hop', { cpu, data: pkt(0, 0) });
          // Same context (packet) in every program of the chain: 34 runs counted in byte 0.
          expect(r.dataOut![0]).toBe(34);
          expect(r.retval).toBe(1034);
        }
      } finally {
        await o.unload();
      }
    });
  }

  it('a tail call from a sub-program replaces that function only (its caller goes on, as in the kernel); an empty or out-of-range slot falls through', async () => {
    const o = await rt.loadObject(path('tailchain.bpf.o'), { programs: PROGS });
    try {
      const chain = o.maps.chain!;
      // Placed by user space, as the TypeScript side places handlers: the program by its id.
      chain.update(le32(1), progOf(o, 'finish'));
      let r = await rt.testRun('from_sub', { cpu: 1, data: pkt(0, 1) });
      // from_sub counted 1; jump_from_sub's tail call ran finish in its place (counted 2, 500 + 2),
      // and finish's r0 returned to from_sub, which went on: 77 + 502. The live kernel gives the
      // same (test/conformance/programs/tail-calls.json); jump_from_sub's own "slot + 10" never ran.
      expect([r.retval, r.dataOut![0]]).toEqual([77 + 502, 2]);
      // Into hop from the sub-program: the chain goes on in that frame (33 jumps in all), then back.
      r = await rt.testRun('from_sub', { cpu: 0, data: pkt(0, 0) });
      expect([r.retval, r.dataOut![0]]).toEqual([77 + 1034, 34]);
      r = await rt.testRun('from_sub', { cpu: 0, data: pkt(0, 2) }); // empty slot
      expect([r.retval, r.dataOut![0]]).toEqual([77 + 12, 1]);
      r = await rt.testRun('from_sub', { cpu: 0, data: pkt(0, 200) }); // past max_entries
      expect([r.retval, r.dataOut![0]]).toEqual([77 + 210, 1]);
      chain.delete(le32(1));
      r = await rt.testRun('from_sub', { cpu: 0, data: pkt(0, 1) });
      expect([r.retval, r.dataOut![0]]).toEqual([77 + 11, 1]);
    } finally {
      await o.unload();
    }
  });

  it('counts a chain\'s return as the event\'s, for every event of a run on every CPU', async () => {
    const o = await rt.loadObject(path('tailchain.bpf.o'), { programs: PROGS });
    try {
      o.maps.chain!.update(le32(1), progOf(o, 'finish'));
      const r = await rt.run({ program: 'from_sub', events: 10_000, data: pkt(0, 1) });
      expect(r.events).toBe(10_000);
      // Every event: 77 + finish's 500 + the packet's count (each event's two runs raise it by 2).
      expect(r.returns!.reduce((n, x) => n + x.count, 0)).toBe(10_000);
      expect(r.returns!.every((x) => x.value >= 577 && x.value <= 577 + 255 && x.value % 2 === 1)).toBe(true);
    } finally {
      await o.unload();
    }
  });

  it('counts a main function\'s chain return as the event\'s, for every event of a run on every CPU', async () => {
    const o = await rt.loadObject(path('tailchain.bpf.o'), { programs: PROGS });
    try {
      const r = await rt.run({ program: 'hop', events: 2000, data: pkt(0, 0) });
      expect(r.events).toBe(2000);
      // 34 runs an event; the packet's byte wraps at 256 (each CPU's packet is its own).
      expect(r.returns!.reduce((n, x) => n + x.count, 0)).toBe(2000);
      expect(r.returns!.every((x) => x.value >= 1000 && x.value <= 1255)).toBe(true);
    } finally {
      await o.unload();
    }
  });

  it('refuses loading a program of another type using the same prog array (EINVAL), naming both', async () => {
    const e = await rt.loadObject(path('tailchain.bpf.o')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProgramLoadError);
    expect((e as Error).message).toMatch(/program 'wrong' \(SEC\("kprobe\/wrong"\)\) uses prog array 'chain', which program 'hop' \(SEC\("tc"\)\) already uses: EINVAL.*give each program type its own prog array/);
  });

  it('refuses a target of another program type from user space (EINVAL), and stops a tail call into another object\'s program, naming it', async () => {
    const o = await rt.loadObject(path('tailchain.bpf.o'), { programs: PROGS });
    const ts = await rt.load(new URL('./fixtures/issue16/tail-calls.ts', import.meta.url));
    const other = await rt.loadObject(path('tailcall.bpf.o'));
    try {
      expect(errnoOf(() => o.maps.chain!.update(le32(1), ts.programs['kprobe/stage1']!))).toBe('EINVAL');
      o.maps.chain!.update(le32(1), progOf(other, 'target_a'));
      const e = (await rt.testRun('from_sub', { cpu: 1, data: pkt(0, 1) }).catch((x: unknown) => x)) as ProgramFaultError;
      expect(e).toBeInstanceOf(ProgramFaultError);
      expect(e.program).toBe('from_sub');
      expect(e.message).toMatch(/bpf_tail_call into program 'target_a' \(id \d+\), which is not a program of object 'tailchain': a compiled object's tail calls reach its own programs only/);
    } finally {
      await other.unload();
      await ts.unload();
      await o.unload();
    }
  });

  it('runs a prog array\'s static initialiser targets (tailcall.bpf.o) and fails loading when a named target is not loaded', async () => {
    const o = await rt.loadObject(path('tailcall.bpf.o'));
    const a = progOf(o, 'target_a');
    try {
      expect(o.maps.jump!.lookup(le32(1))).toEqual(le32(a.id));
      expect(o.maps.jump!.lookup(le32(3))).toEqual(le32(progOf(o, 'target_b').id));
    } finally {
      await o.unload();
    }
    // Unloaded: its programs' ids name nothing (EBADF, as a closed fd).
    const jmp = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(errnoOf(() => jmp.update(le32(0), a))).toBe('EBADF');
    const e = await rt.loadObject(path('tailcall.bpf.o'), { programs: ['dispatch', 'target_a'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProgramLoadError);
    expect((e as Error).message).toMatch(/prog array 'jump' slot 3 names program 'target_b', which is not loaded \(EBADF.*load it too/);
  });
});

describe('maps of maps from a compiled program (mim.bpf.o)', () => {
  for (const checked of [true, false]) {
    it(`looks up the inner map of the static initialiser and of user space's placements after load (checked: ${checked})`, async () => {
      const o = await rt.loadObject(path('mim.bpf.o'), { checked });
      try {
        const array = async (cpu: number, okey: number, ikey: number) => (await rt.testRun('mim_array', { cpu, data: pkt(okey, ikey) })).retval;
        // Slot 0 holds inner0 (the initialiser): the program's increments are inner0's.
        expect(o.maps.outer!.lookup(le32(0))).toEqual(le32(o.maps.inner0!.id));
        expect(await array(0, 0, 1)).toBe(1);
        expect(await array(1, 0, 1)).toBe(2);
        expect(o.maps.inner0!.lookup(le32(1))).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
        expect(await array(0, 0, 9)).toBe(2000); // key past the inner array
        expect(await array(0, 1, 1)).toBe(1000); // empty slot
        // An inner map created after load, in the object's memory, placed in slot 1.
        const a = o.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'late' });
        o.maps.outer!.update(le32(1), a);
        expect(await array(1, 1, 3)).toBe(1);
        expect(await array(0, 1, 3)).toBe(2);
        expect(a.lookup(le32(3))).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
        // Replaced: the next lookup finds the new map; deleted: none.
        const b = o.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
        o.maps.outer!.update(le32(1), b);
        expect(await array(1, 1, 3)).toBe(1);
        o.maps.outer!.delete(le32(1));
        expect(await array(1, 1, 3)).toBe(1000);
        // HASH_OF_MAPS: the program inserts through the inner map pointer, then adds.
        const h = o.createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
        const hash = async (cpu: number, okey: number, ikey: number) => (await rt.testRun('mim_hash', { cpu, data: pkt(okey, ikey) })).retval;
        expect(await hash(0, 5, 3)).toBe(1000);
        o.maps.houter!.update(le32(5), h);
        expect(await hash(0, 5, 3)).toBe(1);
        expect(await hash(1, 5, 3)).toBe(2);
        expect(h.lookup(le32(3))).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
        // Key 3 holds hinner3, from houter's initialiser.
        expect(o.maps.houter!.lookup(le32(3))).toEqual(le32(o.maps.hinner3!.id));
        expect(await hash(1, 3, 7)).toBe(1);
        expect(o.maps.hinner3!.lookup(le32(7))).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
      } finally {
        await o.unload();
      }
    });
  }

  it('gives each event of a run on every CPU the inner map of its slot', async () => {
    const o = await rt.loadObject(path('mim.bpf.o'));
    try {
      const a = o.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
      o.maps.outer!.update(le32(2), a);
      const r = await rt.run({ program: 'mim_array', events: 5000, data: pkt(2, 0) });
      expect(r.events).toBe(5000);
      // Atomic adds from both CPUs: every event counted once.
      expect(a.lookup(le32(0))).toEqual(new Uint8Array(new BigUint64Array([5000n]).buffer));
    } finally {
      await o.unload();
    }
  });

  it('stops a lookup that finds an inner map outside the object\'s memory, saying to create it with loaded.createMap', async () => {
    const o = await rt.loadObject(path('mim.bpf.o'));
    try {
      const own = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'own' }, { cpus: 2 });
      o.maps.outer!.update(le32(1), own); // matches the template: user space may place it
      const e = (await rt.testRun('mim_array', { cpu: 0, data: pkt(1, 0) }).catch((x: unknown) => x)) as ProgramFaultError;
      expect(e).toBeInstanceOf(ProgramFaultError);
      expect(e.program).toBe('mim_array');
      expect(e.message).toMatch(/bpf_map_lookup_elem on map 'outer' of object 'mim' found inner map 'own' \(id \d+\), which lives outside the object's memory.*loaded\.createMap\(spec\)/);
    } finally {
      await o.unload();
    }
  });

  it('refuses user space\'s inner map unlike the template (EINVAL), and an object whose initialiser names one, saying what differs', async () => {
    const o = await rt.loadObject(path('mim.bpf.o'));
    try {
      const narrow = o.createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 });
      expect(errnoOf(() => o.maps.outer!.update(le32(1), narrow))).toBe('EINVAL');
    } finally {
      await o.unload();
    }
    const e = await rt.loadObject(path('mim-bad.bpf.o')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProgramLoadError);
    expect((e as Error).message).toMatch(/object 'mim-bad': map 'outer' slot 1: placing inner map 'narrow' failed with EINVAL: 'narrow' \(array, key 4, value 4, max_entries 4, flags 0x0\) does not match the template \(array, key 4, value 8, max_entries 4, flags 0x0\); define it like the __array\(values, \.\.\.\) struct/);
  });

  it('says how to make room when the object\'s inner-map memory is used up (innerMapBytes)', async () => {
    const o = await rt.loadObject(path('mim.bpf.o'), { innerMapBytes: 4096 });
    try {
      expect(() => o.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 100_000 })).toThrow(/no room left for this map in its memory.*larger innerMapBytes/);
    } finally {
      await o.unload();
    }
  });
});

describe('helpers given the wrong map (what the verifier would refuse) stop the run, naming the map', () => {
  /** run.bpf.o with 'kprobe/count' running `build(pids)` (pids: a hash map's index). */
  function withProgram(build: (pids: number) => Asm): BpfObject {
    const obj = openObject(readFileSync(objectUrl('run.bpf.o')));
    const pids = obj.maps.findIndex((m) => m.name === 'pids');
    const p = obj.programs.find((x) => x.section === 'kprobe/count')!;
    p.insns = build(pids).build();
    p.funcs = [{ name: p.name, start: 0 }];
    p.lines = [];
    p.funcInfo = [];
    return obj;
  }

  it('bpf_tail_call on a hash map', async () => {
    const o = await rt.loadObject(withProgram((pids) => new Asm().ldMap(R2, pids).mov64(R3, 0).call(12).mov64(0, 0).exit()));
    try {
      const e = (await rt.run({ probe: 'kprobe/count', cpu: 0 }).catch((x: unknown) => x)) as ProgramFaultError;
      expect(e).toBeInstanceOf(ProgramFaultError);
      expect(e.message).toMatch(/bpf_tail_call takes a prog array, not map 'pids' \(hash\); the verifier would refuse this program/);
    } finally {
      await o.unload();
    }
  });

  it('bpf_perf_event_output on a hash map', async () => {
    const o = await rt.loadObject(withProgram((pids) => new Asm()
      .st('dw', R10, -8, 0).ldMap(R2, pids).mov64(R3, 0).movr(R4, R10).alu64('add', R4, { imm: -8 }).mov64(R5, 8).call(25).exit()));
    try {
      const e = (await rt.run({ probe: 'kprobe/count', cpu: 1 }).catch((x: unknown) => x)) as ProgramFaultError;
      expect(e).toBeInstanceOf(ProgramFaultError);
      expect(e.message).toMatch(/bpf_perf_event_output takes a perf event array, not map 'pids' \(hash\)/);
    } finally {
      await o.unload();
    }
  });
});
