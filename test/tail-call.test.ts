import { describe, expect, it } from 'vitest';
import { createMap, type BpfMap } from '../src/index.js';
import { idrAdd, idrAlloc, type BpfProg } from '../src/maps/idr.js';
import { bpf_tail_call, bpfProgRun, TAIL_CALL, tailCallChain, TailCallError } from '../src/maps/tail-call.js';
import { bpf_spin_lock, bpf_spin_unlock } from '../src/sync/spinlock.js';
import { bpf_map_lookup_elem } from '../src/maps/helpers.js';
import { struct } from '../src/maps/layout.js';
import { MAX_TAIL_CALL_CNT } from '../src/maps/uapi.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// Program helpers run on a CPU: this thread plays CPU 0.
setSmpProcessorId(0);

// bpf_tail_call: a successful call returns TAIL_CALL, the handler returns it, the runner follows.

function progArray(maxEntries = 4): BpfMap {
  return createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries }, { cpus: 2 });
}

function prog(run: (ctx: any) => unknown, name = 'p'): BpfProg {
  const p: BpfProg = { id: idrAlloc(), type: 17, name, run };
  idrAdd(p.id, 'prog', p);
  return p;
}

describe('bpf_tail_call', () => {
  it('runs the slot\'s program with the same context; the caller\'s code after it never runs', () => {
    const jmp = progArray();
    const seen: object[] = [];
    const target = prog((ctx) => { seen.push(ctx); return 7; });
    jmp.update(1, target);
    let after = false;
    const ctx = { index: 0 };
    const r = bpfProgRun((c) => {
      const tc = bpf_tail_call(c, jmp, 1);
      if (tc) return tc;
      after = true;
      return 0;
    }, ctx);
    expect(r).toBe(7);
    expect(seen).toEqual([ctx]);
    expect(seen[0]).toBe(ctx);
    expect(after).toBe(false);
  });

  it('falls through (undefined) on an empty slot, an index past max_entries, and an index that is no u32', () => {
    const jmp = progArray();
    jmp.update(0, prog(() => 1));
    const ctx = {};
    for (const index of [1, 4, 2 ** 32, -1, 0.5]) expect(bpf_tail_call(ctx, jmp, index)).toBeUndefined();
    expect(bpfProgRun((c) => bpf_tail_call(c, jmp, 3) ?? 42, ctx)).toBe(42);
  });

  it(`allows ${MAX_TAIL_CALL_CNT} tail calls a run: a program calling itself runs 34 times, and each run counts afresh`, () => {
    const jmp = progArray();
    let runs = 0;
    const self = prog((ctx) => { runs++; return bpf_tail_call(ctx, jmp, 0) ?? runs; });
    jmp.update(0, self);
    expect(bpfProgRun(self.run!, {})).toBe(34);
    runs = 0;
    expect(bpfProgRun(self.run!, {})).toBe(34);
  });

  it('does not count a call that fell through, as 6.18 does not', () => {
    const jmp = progArray();
    jmp.update(2, prog(() => 8));
    const r = bpfProgRun((ctx) => {
      for (let i = 0; i < 40; i++) {
        const tc = bpf_tail_call(ctx, jmp, 1);
        if (tc) return tc;
      }
      return bpf_tail_call(ctx, jmp, 2) ?? 50;
    }, {});
    expect(r).toBe(8);
  });

  it('restarts the count for a new event (another index of the same context object)', () => {
    const jmp = progArray();
    let runs = 0;
    const self = prog((c) => { runs++; return bpf_tail_call(c, jmp, 0) ?? 0; });
    jmp.update(0, self);
    const ctx = { index: 0 };
    for (const i of [0, 1]) {
      ctx.index = i;
      runs = 0;
      // What the event loop does: call the handler, follow TAIL_CALL (no reset in between events).
      if (self.run!(ctx) === TAIL_CALL) tailCallChain(ctx);
      expect(runs).toBe(34);
    }
  });

  it('is a fault when the handler goes on after a tail call that succeeded', () => {
    const jmp = progArray();
    jmp.update(0, prog(() => 1, 'target'));
    expect(() => bpfProgRun((c) => { bpf_tail_call(c, jmp, 0); return 5; }, {}))
      .toThrow(/bpf_tail_call into program 'target' succeeded .* but the handler went on/);
    expect(() => bpfProgRun(() => TAIL_CALL, {})).toThrow(TailCallError);
  });

  it('is refused on a map that is no prog array, and under a bpf_spin_lock', () => {
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    expect(() => bpf_tail_call({}, arr, 0)).toThrow(/cannot pass map_type 2 into func bpf_tail_call#12/);
    const L = struct({ lock: bpf_spin_lock });
    const locked = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, value: L }, { cpus: 2 });
    const v = bpf_map_lookup_elem(locked, 0)!;
    bpf_spin_lock(v.lock);
    try {
      expect(() => bpf_tail_call({}, progArray(), 0)).toThrow(/function calls are not allowed while holding a lock/);
    } finally {
      bpf_spin_unlock(v.lock);
    }
  });
});

