// The stress suite, shared by the short form in `npm test` (test/stress.test.ts) and the long form
// behind `npm run stress` (test/stress/main.ts). Each stress returns its figures and a list of
// problems; an empty list means nothing was lost, duplicated, torn or leaked.

import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/cpu/runtime.js';
import { htabStats } from '../../src/maps/hashtab.js';
import { ringBuffer } from '../../src/maps/ringbuf.js';
import { createMap } from '../../src/maps/syscall.js';
import { BPF_F_LOCK, BPF_NOEXIST } from '../../src/maps/uapi.js';
import {
  Cfg, CODE_EEXIST, CODE_ENOENT, CODE_OK, OP_ANY, OP_DELETE, OP_EXIST, OP_LOOKUP, OP_NOEXIST, Stats, Val,
  checkOf, decide, seedFor, xorshift,
} from './programs/hash-common.js';
import { HASH_LIMITS } from './programs/limits.js';
import { Pair, TOTAL } from './programs/spinlock.js';
import { Rec, RB_CFG } from './programs/ringbuf.js';

export type HashType = 'hash' | 'percpu_hash' | 'lru_hash';

export interface Figures {
  name: string;
  cpus: number;
  ops: number;
  seconds: number;
  /** Free-form counts worth reporting (final size, reads that met a reused element, ...). */
  detail: Record<string, number>;
  problems: string[];
}

const program = (name: string) => new URL(`./programs/${name}.ts`, import.meta.url);

function note(problems: string[], what: string): void {
  if (problems.length < 20) problems.push(what);
  else if (problems.length === 20) problems.push('... (more problems not listed)');
}

// ---- hash maps ----------------------------------------------------------------------------------

/**
 * `ops` random operations over all CPUs on one map of `type`, then: every logged result equals the
 * sequential model's, the contents equal the model (no key missing, extra or twice, every value
 * the last one written), and every element is accounted for (linked + free + extra = all).
 */
export async function hashStress(rt: Runtime, type: HashType, ops: number, seed = 0x5eed): Promise<Figures> {
  const cpus = rt.cpus;
  const perCpu = Math.floor(ops / cpus);
  if (perCpu > HASH_LIMITS.maxOpsPerCpu || cpus > HASH_LIMITS.maxCpus) throw new RangeError('stress: more operations or CPUs than the program\'s logs hold');
  const keysPerCpu = Math.floor(HASH_LIMITS.keys / cpus);
  const prog = await rt.load(program(`hash-${type}`));
  const problems: string[] = [];
  const detail: Record<string, number> = {};
  try {
    const { map, cfg, logs, stats } = prog.maps as Record<string, NonNullable<typeof prog.maps[string]>>;
    cfg.update(0, Cfg.encode({ seed, keysPerCpu, cpus }));
    const run = await rt.run({ probe: 'tc/stress', perCpu: new Array(cpus).fill(perCpu) });
    if (run.events !== perCpu * cpus || run.stopped) note(problems, `ran ${run.events} of ${perCpu * cpus} operations`);

    // Replay each CPU's stream against its own sequential model.
    const model = new Map<number, { cpu: number; seq: number }>();
    const pick = [0, 0];
    let mismatches = 0;
    for (let cpu = 0; cpu < cpus; cpu++) {
      const log = logs.lookup(cpu);
      let rng = seedFor(seed, cpu);
      for (let i = 0; i < perCpu; i++) {
        rng = xorshift(rng);
        const r1 = rng;
        rng = xorshift(rng);
        decide(r1, rng, keysPerCpu, cpus, cpu, pick);
        const [op, key] = pick as [number, number];
        const has = model.has(key);
        let want: number;
        switch (op) {
          case OP_ANY: want = CODE_OK; model.set(key, { cpu, seq: i }); break;
          case OP_EXIST: want = has ? CODE_OK : CODE_ENOENT; if (has) model.set(key, { cpu, seq: i }); break;
          case OP_NOEXIST: want = has ? CODE_EEXIST : CODE_OK; if (!has) model.set(key, { cpu, seq: i }); break;
          case OP_DELETE: want = has ? CODE_OK : CODE_ENOENT; model.delete(key); break;
          case OP_LOOKUP: want = has ? CODE_OK : CODE_ENOENT; break;
          default: want = CODE_OK;
        }
        if (log[i] !== want) {
          mismatches++;
          note(problems, `CPU ${cpu} op ${i} (op ${op} key ${key}): logged code ${log[i]}, the model says ${want}`);
        }
      }
    }
    detail.resultMismatches = mismatches;

    // The contents: the same keys, each once, each with the last value its owner wrote.
    const walked: number[] = [];
    for (const k of map.keys()) walked.push(new DataView(k.buffer).getUint32(0, true));
    const unique = new Set(walked);
    if (unique.size !== walked.length) note(problems, `get_next_key walked ${walked.length} keys but only ${unique.size} distinct`);
    for (const k of model.keys()) if (!unique.has(k)) note(problems, `key ${k} is missing`);
    for (const k of unique) if (!model.has(k)) note(problems, `key ${k} is in the map but not in the model`);
    for (const [key, { cpu, seq }] of model) {
      const want = Val.encode({ key, cpu, seq, crc: checkOf(key, cpu, seq) });
      let got: Uint8Array[];
      try {
        got = map.isPercpu ? map.lookupPerCpu(key) : [map.lookup(key)];
      } catch {
        continue; // reported above as missing
      }
      got.forEach((g, c) => {
        const expect = !map.isPercpu || c === cpu ? want : new Uint8Array(Val.size);
        if (Buffer.compare(Buffer.from(g), Buffer.from(expect)) !== 0) note(problems, `key ${key} CPU ${c} slot holds ${Buffer.from(g).toString('hex')}, want ${Buffer.from(expect).toString('hex')}`);
      });
    }
    detail.finalKeys = model.size;
    const s = stats.lookupPerCpu(0).map((b) => Stats.decode(b) as { foreignFound: number; foreignReused: number; bad: number });
    detail.foreignReads = s.reduce((a, x) => a + x.foreignFound, 0);
    detail.foreignReadsOfReusedElements = s.reduce((a, x) => a + x.foreignReused, 0);
    const bad = s.reduce((a, x) => a + x.bad, 0);
    if (bad > 0) note(problems, `${bad} foreign per-CPU reads saw a non-zero slot of this CPU`);

    // No element lost or duplicated in the free lists.
    if (type !== 'lru_hash') {
      const st = htabStats(map);
      if (st.duplicates.length > 0) note(problems, `keys linked twice: ${st.duplicates.slice(0, 5).join(', ')}`);
      if (st.linked !== model.size || st.count !== model.size) note(problems, `linked ${st.linked}, count ${st.count}, model ${model.size}`);
      if (st.linked + st.free + st.extra !== st.total) note(problems, `elements: linked ${st.linked} + free ${st.free} + extra ${st.extra} != ${st.total} (leaked from the free lists)`);
      detail.freeElements = st.free;
      // Every element can be used again: empty the map, fill it to max_entries, one more is E2BIG.
      for (const k of [...model.keys()]) map.delete(k);
      const value = new Uint8Array(map.userValueSize);
      let filled = 0;
      for (let k = 0; k < map.attr.maxEntries; k++) {
        try { map.update(1_000_000 + k, value, BPF_NOEXIST); filled++; } catch (e) { note(problems, `refill ${k}: ${(e as Error).message}`); break; }
      }
      try {
        map.update(2_000_000, value, BPF_NOEXIST);
        note(problems, `an insert past max_entries ${map.attr.maxEntries} succeeded`);
      } catch (e) {
        if (!/E2BIG/.test((e as Error).message)) note(problems, `an insert past max_entries failed with ${(e as Error).message}`);
      }
      detail.refilled = filled;
    }
    return { name: type, cpus, ops: run.events, seconds: run.wallNs / 1e9, detail, problems };
  } finally {
    await prog.unload();
  }
}

// ---- bpf_spin_lock --------------------------------------------------------------------------------

/**
 * `pairs` lock/unlock pairs over all CPUs, each moving a random amount from a to b under the
 * value's lock (a + b stays TOTAL), while user space reads the value with BPF_F_LOCK all along.
 */
export async function spinLockStress(rt: Runtime, pairs: number): Promise<Figures> {
  const cpus = rt.cpus;
  const prog = await rt.load(program('spinlock'));
  const problems: string[] = [];
  try {
    const pair = prog.maps.pair!;
    pair.update(0, Pair.encode({ a: TOTAL, b: 0, n: 0 }));
    const perCpu = Math.floor(pairs / cpus);
    let done = false;
    const running = rt.run({ probe: 'tc/pair', perCpu: new Array(cpus).fill(perCpu) }).finally(() => { done = true; });
    let reads = 0;
    let broken = 0;
    while (!done) {
      // A burst of locked reads, then let the run's completion through.
      for (let k = 0; k < 200; k++) {
        const v = Pair.decode(pair.lookup(0, BPF_F_LOCK)) as { a: number; b: number };
        reads++;
        if (v.a + v.b !== TOTAL) {
          broken++;
          note(problems, `a locked read saw a ${v.a} + b ${v.b} != ${TOTAL}`);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    const run = await running;
    const end = Pair.decode(pair.lookup(0, BPF_F_LOCK)) as { a: number; b: number; n: number };
    if (end.a + end.b !== TOTAL) note(problems, `at the end a ${end.a} + b ${end.b} != ${TOTAL}`);
    if (end.n !== perCpu * cpus) note(problems, `${end.n} pairs counted under the lock, ${perCpu * cpus} made`);
    return { name: 'spinlock', cpus, ops: run.events, seconds: run.wallNs / 1e9, detail: { lockedReads: reads, brokenReads: broken }, problems };
  } finally {
    await prog.unload();
  }
}

// ---- ring buffer ----------------------------------------------------------------------------------

/**
 * `records` records from all CPUs into one ring buffer (reserve + submit, output), one consumer in
 * user space: every committed record arrives once, in its producer's order, whole. In 'drop' mode
 * producers also discard some records and drop those the full ring refuses; in 'retry' mode they
 * wait for room, so all `records` must arrive.
 */
export async function ringbufStress(rt: Runtime, records: number, mode: 'drop' | 'retry' = 'drop'): Promise<Figures> {
  const cpus = rt.cpus;
  const prog = await rt.load(program('ringbuf'));
  const problems: string[] = [];
  try {
    const rb = ringBuffer(prog.maps.rb!);
    const next = new Array<number>(cpus).fill(0);
    let delivered = 0;
    let torn = 0;
    const take = (s: { getU32(o: number): number; bytes: Uint8Array }, size: number): void => {
      delivered++;
      if (size !== Rec.size) { note(problems, `a record of ${size} bytes`); return; }
      const cpu = s.getU32(0);
      const seq = s.getU32(4);
      if (s.getU32(8) !== (Math.imul(seq, 0x9e3779b1) ^ cpu) >>> 0 || s.getU32(12) !== (~seq >>> 0)) {
        torn++;
        note(problems, `a half-written record: ${Buffer.from(s.bytes).toString('hex')}`);
        return;
      }
      if (!(cpu < cpus)) { note(problems, `a record from CPU ${cpu}`); return; }
      // Sequence numbers of committed records increase; discarded and refused ones leave gaps.
      if (seq < next[cpu]!) note(problems, `CPU ${cpu}: seq ${seq} after ${next[cpu]! - 1} (duplicated or out of order)`);
      next[cpu] = seq + 1;
    };
    const perCpu = Math.floor(records / cpus);
    let done = false;
    const probe = mode === 'retry' ? 'tc/produce-all' : 'tc/produce';
    const running = rt.run({ probe, perCpu: new Array(cpus).fill(perCpu) }).finally(() => { done = true; });
    // Atomics.waitAsync does not keep node's event loop alive, and the CPU workers are unref'd: a
    // timer does, or a script whose only pending work is this loop would exit (code 13).
    const alive = setInterval(() => {}, 1000);
    try {
      while (!done) {
        rb.consume(take);
        await rb.waitForData(20);
      }
    } finally {
      clearInterval(alive);
    }
    const run = await running;
    rb.consume(take);
    const counts = prog.maps.counts!.lookupPerCpu(0).map((b) => RB_CFG.decode(b) as { committed: number; discarded: number; refused: number; retries: number });
    const retries = counts.reduce((a, c) => a + c.retries, 0);
    const committed = counts.reduce((a, c) => a + c.committed, 0);
    const discarded = counts.reduce((a, c) => a + c.discarded, 0);
    const refused = counts.reduce((a, c) => a + c.refused, 0);
    if (delivered !== committed) note(problems, `${committed} records committed, ${delivered} delivered (${committed - delivered} lost)`);
    if (committed + discarded + refused !== run.events) note(problems, `committed ${committed} + discarded ${discarded} + refused ${refused} != ${run.events} attempts`);
    if (mode === 'retry' && delivered !== run.events) note(problems, `${run.events} records made, ${delivered} delivered`);
    return {
      name: 'ringbuf', cpus, ops: run.events, seconds: run.wallNs / 1e9,
      detail: { committed, delivered, discarded, refusedRingFull: refused, producerWaits: retries, torn }, problems,
    };
  } finally {
    await prog.unload();
  }
}

// ---- memory -----------------------------------------------------------------------------------------

function threads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
}

async function collect(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 10));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * `cycles` back-to-back load/run/unload cycles on one runtime, map create/drop cycles, and
 * runtime start/close cycles: the heap after the last cycle is within `slackMb` of the heap after
 * the warm-up cycles, and no worker thread is left once every runtime is closed.
 * Needs a gc() (node --expose-gc, or v8.setFlagsFromString('--expose-gc') + vm) to measure the heap.
 */
export async function memoryStress(cycles: number, runtimes: number, slackMb = 4): Promise<Figures> {
  const problems: string[] = [];
  const before = threads();
  const t0 = performance.now();
  const warm = Math.min(10, Math.floor(cycles / 5));
  let heapWarm = 0;
  const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
  try {
    for (let c = 0; c < cycles; c++) {
      if (c === warm) heapWarm = await collect();
      const prog = await rt.load(program('counter'));
      const r = await rt.run({ probe: 'tc/count', events: 10_000 });
      if (r.events !== 10_000) note(problems, `cycle ${c}: ${r.events} events`);
      if (prog.maps.counter!.sum(0) !== 10_000) note(problems, `cycle ${c}: counted ${prog.maps.counter!.sum(0)}`);
      await prog.unload();
      const m = createMap({ type: 'hash', keySize: 8, valueSize: 64, maxEntries: 4096, name: 'cycle' }, { cpus: 2 });
      for (let k = 0; k < 100; k++) m.update(k, new Uint8Array(64));
    }
  } finally {
    await rt.close();
  }
  const heapEnd = await collect();
  for (let c = 0; c < runtimes; c++) {
    const r = await Runtime.start({ cpus: 2, onWarning: () => {} });
    await r.close();
  }
  let after = threads();
  for (let i = 0; i < 200 && after > before; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = threads();
  }
  if (after > before) note(problems, `${after - before} more threads than before the cycles (workers left running)`);
  const growthMb = (heapEnd - heapWarm) / 2 ** 20;
  if (growthMb > slackMb) note(problems, `the heap grew ${growthMb.toFixed(1)} MB from cycle ${warm} to cycle ${cycles}`);
  return {
    name: 'memory', cpus: 2, ops: cycles, seconds: (performance.now() - t0) / 1e3,
    detail: { runtimes, heapGrowthKb: Math.round((heapEnd - heapWarm) / 1024), threadsBefore: before, threadsAfter: after }, problems,
  };
}
