import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, type LoadedObject } from '../src/cpu/runtime.js';
import { ProgramFaultError, ProgramLoadError, RunError } from '../src/cpu/errors.js';
import { ringBuffer } from '../src/maps/ringbuf.js';
import { readCounter } from '../src/workloads/race/index.js';
import { ElfFile } from '../src/object/elf.js';
import { openObjectFile } from '../src/object/index.js';
import { objectUrl } from './helpers.js';

// Real eBPF objects (clang -O2 -g -target bpf; sources in test/objects/src and src/workloads/race)
// loaded into a runtime of 2 simulated CPUs: their maps, their programs' results, their faults.

const obj = (name: string) => objectUrl(`${name}.bpf.o`).pathname;
const race = (name: string) => new URL(`../src/workloads/race/${name}.bpf.o`, import.meta.url).pathname;

describe('eBPF objects on 2 simulated CPUs', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('runs the seed article\'s program as printed: the spin lock keeps the count exact', async () => {
    const seed = await rt.loadObject(obj('seed'));
    try {
      expect(seed.probes).toEqual(['kprobe/sys_clone']);
      expect(Object.keys(seed.maps)).toEqual(['counter', '.rodata.str1.1']);
      const r = await rt.run({ probe: 'kprobe/sys_clone', events: 40_000 });
      expect(r.events).toBe(40_000);
      expect(r.returns).toEqual([{ value: 0, count: 40_000 }]);
      // struct elem { int cnt; struct bpf_spin_lock lock; }: cnt is the first 4 bytes.
      expect(new DataView(seed.maps.counter!.lookup(0).buffer).getInt32(0, true)).toBe(40_000);
    } finally {
      rt.readTrace();
      await seed.unload();
    }
  });

  it('prints the seed\'s trace line only once the count reaches 20: the count is bpf_trace_printk\'s fmt_size', async () => {
    const seed = await rt.loadObject(obj('seed'));
    try {
      await rt.run({ probe: 'kprobe/sys_clone', cpu: 0, events: 25 });
      const lines = rt.readTrace();
      // "sys_clone count: %d" is 19 bytes and its NUL; with fmt_size (= cnt) below 20 the helper
      // finds no NUL in the format and refuses (-EINVAL), as the kernel's bpf_bprintf_prepare does.
      expect(lines.length).toBe(6);
      expect(lines.every((l) => l.endsWith('bpf_trace_printk: sys_clone count: 0'))).toBe(true);
    } finally {
      await seed.unload();
    }
  });

  for (const s of ['atomic', 'spinlock', 'percpu'] as const) {
    it(`counts exactly with the race lab's ${s} counter in C`, async () => {
      const o = await rt.loadObject(race(s), { checked: false });
      try {
        await rt.run({ probe: 'kprobe/sys_clone', events: 1_000_000 });
        expect(readCounter(o.maps.counter!).observed).toBe(1_000_000);
      } finally {
        await o.unload();
      }
    });
  }

  it('never counts more than the events with the racy counter in C', async () => {
    const o = await rt.loadObject(race('racy'), { checked: false });
    try {
      await rt.run({ probe: 'kprobe/sys_clone', events: 2_000_000 });
      const n = readCounter(o.maps.counter!).observed;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(2_000_000);
    } finally {
      await o.unload();
    }
  });

  describe('the test object run.bpf.o', () => {
    it('lists its maps by name, global data as libbpf names them, and its programs by section', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        expect(Object.keys(o.maps)).toEqual(['pids', 'vals', 'events', 'run.bss', 'run.rodata']);
        expect(o.programs.map((p) => p.section)).toEqual(['tc', 'xdp', 'raw_tp/sys_enter', 'kprobe/count', 'kprobe/output', 'kprobe/oob', 'kprobe/unbound', 'kprobe/loop']);
        expect(o.checked).toBe(true);
        expect(o.warnings).toEqual(["program 'unbound' calls helper #35, which percpu-maps does not provide; the run stops with a fault if that call is reached"]);
      } finally {
        await o.unload();
      }
    });

    it('runs a tc program on one CPU with a packet: its return value and the packet it wrote (data_out)', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        const data = new Uint8Array(100).fill(7);
        const r = await rt.run({ probe: 'tc', cpu: 1, events: 3, data });
        expect(r.perCpu.map((c) => c.events)).toEqual([0, 3]);
        expect(r.returns).toEqual([{ value: 100, count: 3 }]);
        expect(r.lastReturn).toBe(100);
        expect([...r.dataOut!.subarray(0, 3)]).toEqual([0xaa, 7, 7]);
        expect(r.dataOut!.length).toBe(100);
      } finally {
        await o.unload();
      }
    });

    it('gives an XDP program its frame through xdp_md', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        expect((await rt.run({ probe: 'xdp', cpu: 0, data: new Uint8Array(60) })).lastReturn).toBe(2);
        expect((await rt.run({ probe: 'xdp', cpu: 0, data: new Uint8Array(59) })).lastReturn).toBe(1);
      } finally {
        await o.unload();
      }
    });

    it('gives a raw tracepoint program its context bytes (u64 arguments)', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        const ctx = new Uint8Array(new BigUint64Array([40n, 2n]).buffer);
        expect((await rt.run({ probe: 'raw_tp/sys_enter', cpu: 1, ctx })).returns).toEqual([{ value: 42, count: 1 }]);
      } finally {
        await o.unload();
      }
    });

    it('refuses input a program type does not take, saying what it takes', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        await expect(rt.run({ probe: 'tc', cpu: 0, data: new Uint8Array(10) })).rejects.toThrow(
          new RunError("probe 'tc': data is 10 bytes; a packet needs at least 14 (an Ethernet header), as BPF_PROG_TEST_RUN requires"));
        await expect(rt.run({ probe: 'raw_tp/sys_enter', cpu: 0, data: new Uint8Array(20) })).rejects.toThrow(
          "probe 'raw_tp/sys_enter': this program type takes no packet (data); give its context bytes as ctx");
        await expect(rt.run({ probe: 'tc', cpu: 2, events: 1 })).rejects.toThrow('cpu must be from 0 to 1, got 2');
      } finally {
        await o.unload();
      }
    });

    it('updates hash, array and global data from the program, readable from user space', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        await rt.run({ probe: 'kprobe/count', perCpu: [6, 0], source: { pidBase: 500, pids: 3 } });
        const counts = new Map([...o.maps.pids!.keys()].map((k) => [new DataView(k.buffer).getUint32(0, true), new DataView(o.maps.pids!.lookup(k).buffer).getBigUint64(0, true)]));
        expect(counts).toEqual(new Map([[500, 2n], [501, 2n], [502, 2n]]));
        expect(new DataView(o.maps['run.bss']!.lookup(0).buffer).getBigUint64(0, true)).toBe(6n);
        await rt.run({ probe: 'kprobe/count', perCpu: [0, 1] });
        expect(new DataView(o.maps.vals!.lookup(0).buffer).getUint32(8, true)).toBe(1);
      } finally {
        await o.unload();
      }
    });

    it('delivers ring buffer records to the coordinator\'s consumer', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        const rb = ringBuffer(o.maps.events!);
        await rt.run({ probe: 'kprobe/output', perCpu: [2, 1], source: { pidBase: 70, pids: 10 } });
        const recs: number[][] = [];
        rb.consume((v) => { recs.push([v.getU32(0), v.getU32(4)]); });
        expect(recs.sort()).toEqual([[70, 0], [70, 1], [71, 0]]);
      } finally {
        await o.unload();
      }
    });

    it('stops a checked program at its first bad access, naming the CPU, program, instruction and C line; the maps keep what came before', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        const err = await rt.run({ probe: 'kprobe/oob', perCpu: [0, 3] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ProgramFaultError);
        const e = err as ProgramFaultError;
        expect([e.cpu, e.event, e.program, e.insn]).toEqual([1, 0, 'oob', 15]);
        expect(e.source).toBe('./run.bpf.c:111: *(__u64 *)((char *)v + off) = 1;');
        expect(e.message).toMatch(/^program 'oob' \(kprobe\/oob\) stopped on CPU 1 at event 0, instruction 15 \(\.\/run\.bpf\.c:111: \*\(__u64 \*\)\(\(char \*\)v \+ off\) = 1;\): bad-access: memory access outside the stack, context, packet and map values \(the address: 0x[0-9a-f]+\)\. The run stopped on every CPU/);
        expect(new DataView(o.maps.vals!.lookup(1).buffer).getBigUint64(0, true)).toBe(1n);
        // The runtime runs again.
        expect((await rt.run({ probe: 'tc', cpu: 0 })).lastReturn).toBe(64);
      } finally {
        await o.unload();
      }
    });

    it('maps an unchecked program\'s trap outside the memory back to its instruction', async () => {
      const o = await rt.loadObject(obj('run'), { checked: false });
      try {
        const e = (await rt.run({ probe: 'kprobe/oob', perCpu: [1, 0] }).catch((x: unknown) => x)) as ProgramFaultError;
        expect(e).toBeInstanceOf(ProgramFaultError);
        expect([e.cpu, e.program, e.insn]).toEqual([0, 'oob', 15]);
        expect(e.message).toContain('memory access out of bounds (an address outside the object\'s memory; load with checked: true to find the first bad access)');
      } finally {
        await o.unload();
      }
    });

    it('faults when an unbound helper is reached, or refuses the object with unknownHelpers: refuse', async () => {
      const o = await rt.loadObject(obj('run'));
      try {
        const e = (await rt.run({ probe: 'kprobe/unbound', perCpu: [1, 0] }).catch((x: unknown) => x)) as ProgramFaultError;
        expect([e.name, e.program, e.insn]).toEqual(['ProgramFaultError', 'unbound', 0]);
        expect(e.message).toContain('unknown-helper: call to a helper with no binding (the helper id: 0x23)');
      } finally {
        await o.unload();
      }
      await expect(rt.loadObject(obj('run'), { unknownHelpers: 'refuse' })).rejects.toThrow(
        /^object 'run': program 'unbound' \(SEC\("kprobe\/unbound"\)\) cannot be translated: instruction 0 \(\.\/run\.bpf\.c:\d+: return bpf_get_current_task\(\) != 0;\): call of unknown helper 35$/);
    });

    it('stops a loop that runs past the loop budget', async () => {
      const o = await rt.loadObject(obj('run'), { loopBudget: 5 });
      try {
        const e = (await rt.run({ probe: 'kprobe/loop', perCpu: [1, 0] }).catch((x: unknown) => x)) as ProgramFaultError;
        expect(e).toBeInstanceOf(ProgramFaultError);
        expect(e.message).toContain('loop-budget: the loop budget per event is exhausted');
      } finally {
        await o.unload();
      }
      const o2 = await rt.loadObject(obj('run'), { loopBudget: 10 });
      try {
        expect((await rt.run({ probe: 'kprobe/loop', cpu: 0 })).lastReturn).toBe(45);
      } finally {
        await o2.unload();
      }
    });
  });

  it('loads an object through load() too, from a path or a file URL ending in .o', async () => {
    const a = await rt.load(obj('run'));
    await a.unload();
    const b = await rt.load(objectUrl('run.bpf.o'));
    try {
      expect((b as unknown as LoadedObject).programs.length).toBe(8);
    } finally {
      await b.unload();
    }
  });

  describe('bad objects', () => {
    it('refuses a truncated object with the loader\'s reason', async () => {
      const bytes = readFileSync(obj('seed')).subarray(0, 100);
      await expect(rt.loadObject(bytes)).rejects.toThrow(ProgramLoadError);
      await expect(rt.loadObject(bytes)).rejects.toThrow(/^cannot load the object: /);
    });

    it('refuses a map type the runtime does not have, naming the map', async () => {
      // The seed with its counter made a BPF_MAP_TYPE_STACK_TRACE (7), which percpu-maps does not have.
      const seed = openObjectFile(obj('seed'));
      seed.maps[0] = { ...seed.maps[0]!, type: 7 };
      await expect(rt.loadObject(seed)).rejects.toThrow(/^object 'seed': map 'counter' cannot be created: .*map type 7 is not supported/);
    });

    it('refuses an unsupported opcode at load, naming the program, the instruction and its C line', async () => {
      const bytes = new Uint8Array(readFileSync(obj('seed')));
      const text = new ElfFile(bytes).sectionByName('kprobe/sys_clone')!;
      bytes[text.offset + 21 * 8] = 0xff; // `r0 = 0` (insn 21) becomes opcode 0xff
      await expect(rt.loadObject(bytes)).rejects.toThrow(
        /^object 'object': program 'hello_world' \(SEC\("kprobe\/sys_clone"\)\) cannot be translated: instruction 21 \(\.\/seed\.bpf\.c:53: return 0;\): opcode 0xff: unknown opcode 0xff$/);
    });

    it('refuses a missing file', async () => {
      await expect(rt.loadObject('/nonexistent/x.bpf.o')).rejects.toThrow(/^cannot load \/nonexistent\/x\.bpf\.o: /);
    });
  });
});
