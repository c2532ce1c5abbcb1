// Tail calls, perf buffers and maps of maps on the runtime's CPUs (worker threads): objects user
// space places while the CPUs are loaded reach them by id.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMap, HandlerError, Runtime, type BpfMap } from '../src/index.js';
import { perfBuffer } from '../src/maps/perf-buffer.js';
import { Sample } from './fixtures/issue16/perf-output.js';
import { errnoOf } from './helpers.js';

const fixture = (name: string): URL => new URL(`./fixtures/issue16/${name}.ts`, import.meta.url);

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.start({ cpus: 2 });
});
afterAll(async () => {
  await rt.close();
});

describe('tail calls on the CPUs', () => {
  it('follows entry -> stage1 -> stage2 for events whose slot holds a program, and falls through for the others', async () => {
    const prog = await rt.load(fixture('tail-calls'));
    try {
      const jmp = prog.maps.jmp!;
      jmp.update(0, prog.programs['kprobe/stage1']!);
      jmp.update(2, prog.programs['kprobe/stage2']!);
      const r = await rt.run({ probe: 'kprobe/entry', events: 10_000 });
      expect(r.events).toBe(10_000);
      const counts = prog.maps.counts!;
      // Each CPU runs 5000 events, 2500 of them even (index % 2 === 0 on every CPU).
      expect([0, 1, 2, 3].map((i) => counts.sum(i))).toEqual([10_000, 5000, 5000, 5000]);
    } finally {
      await prog.unload();
    }
  });

  it('stops a program calling itself after 33 tail calls: 34 runs an event on every CPU', async () => {
    const prog = await rt.load(fixture('tail-calls'));
    try {
      prog.maps.jmp!.update(3, prog.programs['kprobe/self']!);
      await rt.run({ probe: 'kprobe/self', events: 1000 });
      expect(prog.maps.counts!.lookupPerCpu(4).map((v) => new DataView(v.buffer, v.byteOffset).getUint32(0, true))).toEqual([500 * 34, 500 * 34]);
    } finally {
      await prog.unload();
    }
  });

  it('fails the run when a handler goes on after a tail call that succeeded, naming the target', async () => {
    const prog = await rt.load(fixture('tail-calls'));
    try {
      prog.maps.jmp!.update(2, prog.programs['kprobe/stage2']!);
      const err = await rt.run({ probe: 'kprobe/goes-on', events: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HandlerError);
      expect((err as Error).message).toMatch(/bpf_tail_call into program 'kprobe\/stage2' succeeded .* but the handler went on/);
    } finally {
      await prog.unload();
    }
  });

  it('gives each handler a program id a prog array takes, of its probe\'s program type', async () => {
    const prog = await rt.load(fixture('tail-calls'));
    try {
      const p = prog.programs['kprobe/stage1']!;
      expect(p.type).toBe(2);
      const other = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
      other.update(0, p);
      expect(new DataView(other.lookup(0).buffer).getUint32(0, true)).toBe(p.id);
    } finally {
      await prog.unload();
    }
  });
});

describe('perf buffers on the CPUs', () => {
  it('delivers each CPU\'s samples in order; with no room a sample is lost and counted, and the next one says so', async () => {
    const prog = await rt.load(fixture('perf-output'));
    try {
      // A one-page ring per CPU: 4088 bytes hold 170 samples of 24 bytes; the coordinator reads while they run.
      const pb = perfBuffer(prog.maps.events!, { pageCount: 1 }, Sample);
      const last = [-1, -1];
      const received = [0, 0];
      let disorder = 0;
      const lostSeen = [0, 0];
      const run = rt.run({ probe: 'tracepoint/sched/sched_process_exec', events: 40_000 });
      await pb.consumeUntil(run, (s, size, cpu) => {
        expect(size).toBe(12);
        if (s.cpu !== cpu || s.seq <= last[cpu]!) disorder++;
        last[cpu] = s.seq;
        received[cpu]!++;
      }, (cpu, n) => { lostSeen[cpu]! += n; }, 20);
      expect(disorder).toBe(0);
      for (const cpu of [0, 1]) {
        // The kernel's count of lost samples: those the last PERF_RECORD_LOST did not cover yet may remain.
        const lost = pb.buffers[cpu]!.event.lostSamples;
        expect(received[cpu]! + lost).toBe(20_000);
        expect(lostSeen[cpu]).toBeLessThanOrEqual(lost);
        expect(pb.lost[cpu]).toBe(lostSeen[cpu]);
      }
      pb.close();
      expect(errnoOf(() => prog.maps.events!.delete(0))).toBe('ENOENT');
    } finally {
      await prog.unload();
    }
  });

  it('loses nothing when the rings are large enough, and wakes a poller', async () => {
    const prog = await rt.load(fixture('perf-output'));
    try {
      const pb = perfBuffer(prog.maps.events!, { pageCount: 64, wakeupEvents: 16 }, Sample);
      let n = 0;
      const waiting = pb.poll(() => { n++; }, undefined, 30_000);
      await rt.run({ probe: 'tracepoint/sched/sched_process_exec', events: 2000 });
      expect(await waiting).toBeGreaterThan(0);
      pb.consume(() => { n++; });
      expect(n).toBe(2000);
      expect(pb.lostSamples).toEqual([0, 0]);
      pb.close();
    } finally {
      await prog.unload();
    }
  });
});

describe('maps of maps on the CPUs', () => {
  it('gives each CPU the inner map user space placed for it, and the replacement in the next run', async () => {
    const prog = await rt.load(fixture('map-in-map'));
    try {
      const outer = prog.maps.outer!;
      const inner = (): BpfMap => createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 }, { cpus: 2 });
      const a = inner();
      const b = inner();
      outer.update(0, a);
      outer.update(1, b);
      await rt.run({ probe: 'kprobe/count', events: 3000 });
      const count = (m: BpfMap): number => new DataView(m.lookup(0).buffer).getUint32(0, true);
      expect([count(a), count(b)]).toEqual([1500, 1500]);
      const c = inner();
      outer.update(1, c);
      outer.delete(0);
      await rt.run({ probe: 'kprobe/count', events: 3000 });
      expect([count(a), count(b), count(c)]).toEqual([1500, 1500, 1500]);
    } finally {
      await prog.unload();
    }
  });
});
