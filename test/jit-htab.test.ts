// bpf_map_lookup_elem on hash maps, inlined in WebAssembly (src/jit/htab.ts, the kernel's
// htab_map_gen_lookup). The Wasm walk knows hashtab.ts's layout only through the numbers the family
// gives (htabGenLookup), so these tests hold it to the JS lookup on the same maps: many random keys,
// every key size path of jhash (words, odd bytes, long keys through loops), after deletes and element
// reuse, with a random seed; the value address and what it holds; and two CPUs, one moving elements
// between buckets while the other looks up in Wasm.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { jitMap } from '../src/cpu/object.js';
import { translateProgram, type JitMap, type TranslatedProgram } from '../src/jit/index.js';
import type { BpfMap } from '../src/maps/syscall.js';
import { createMap } from '../src/maps/syscall.js';
import { MapMemory } from '../src/maps/memory.js';
import { find, hashOf, htabGenLookup, type HtabPriv } from '../src/maps/hashtab.js';
import { lruGenLookup, lruListOf } from '../src/maps/lru-hash.js';
import { BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED } from '../src/maps/uapi.js';
import { Asm, R0, R1, R2, R3, R6, R10 } from './jit/asm.js';
import { cpuArea, Fault, instantiate, type Instance } from './jit/harness.js';
import type { WriterData } from './fixtures/htab-jit-writer.js';

/** The harness keeps its CPU areas at 0x10000..0x1ffff: the maps go above. */
const RESERVED = 0x20000;

type HashType = 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash';

interface Setup {
  mm: MapMemory;
  map: BpfMap;
  jit: JitMap;
  /** Where the tests write the key a program looks up. */
  keyBuf: number;
}

function setup(type: HashType, keySize: number, maxEntries: number, flags = 0, cpus = 2): Setup {
  const mm = new MapMemory(0x1a0000, RESERVED);
  const desc = mm.alloc(16)!.byteOffset;
  const keyBuf = mm.alloc(512)!.byteOffset;
  const map = createMap({ type, keySize, valueSize: 8, maxEntries, flags, name: 'h' }, { cpus, memory: mm });
  return { mm, map, jit: jitMap(map, desc), keyBuf };
}

function translate(s: Setup, insns: Uint8Array, opts: { checked?: boolean; funcs?: { name: string; start: number }[] } = {}): TranslatedProgram {
  return translateProgram({
    name: 'htab', pages: s.mm.pages, insns, funcs: opts.funcs ?? [{ name: 'main', start: 0 }], maps: [s.jit], checked: opts.checked ?? false,
  });
}

/** r0 = bpf_map_lookup_elem(&map, *(u64 *)ctx): the key's address comes in the context. */
const LOOKUP_FROM_CTX = new Asm().ldx('dw', R2, R1, 0).ldMap(R1, 0).call(1).exit().build();

/** Deterministic bytes (xorshift32). */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function randomKey(next: () => number, ks: number): Uint8Array {
  const k = new Uint8Array(ks);
  for (let i = 0; i < ks; i++) k[i] = next() & 0xff;
  return k;
}

const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');

/** A value tied to its key and CPU slot: FNV-1a of the key, then the CPU (0xffffffff for HASH). */
function valueOf(key: Uint8Array, cpu: number): Uint8Array {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  const v = new Uint8Array(8);
  new DataView(v.buffer).setUint32(0, h, true);
  new DataView(v.buffer).setUint32(4, cpu >>> 0, true);
  return v;
}

function userValue(map: BpfMap, key: Uint8Array): Uint8Array {
  if (!map.ops.percpu) return valueOf(key, -1);
  const v = new Uint8Array(8 * map.cpus);
  for (let c = 0; c < map.cpus; c++) v.set(valueOf(key, c), 8 * c);
  return v;
}

/** The JS lookup a program's h1 call makes: the value's address on `cpu`, or 0. */
function jsLookup(map: BpfMap, key: Uint8Array, cpu: number): number {
  const v = map.ops.lookupElem(map, key, cpu);
  return v === null ? 0 : v._mem.offset + v._off;
}

/** Runs the lookup program on one CPU for one key placed at keyBuf + shift. */
class Looker {
  private readonly inst: Instance;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  private readonly s: Setup;
  readonly cpu: number;
  constructor(s: Setup, cpu: number, prog: TranslatedProgram) {
    this.s = s;
    this.cpu = cpu;
    this.inst = instantiate(prog, {
      memory: s.mm.memory, cpu,
      regions: [[cpuArea(cpu).ctx, cpuArea(cpu).ctx + 256], [s.keyBuf, s.keyBuf + 512]],
    });
    this.dv = new DataView(s.mm.buffer);
    this.u8 = new Uint8Array(s.mm.buffer);
  }
  lookup(key: Uint8Array, shift = 0): number {
    const at = this.s.keyBuf + shift;
    this.u8.set(key, at);
    this.dv.setBigUint64(cpuArea(this.cpu).ctx, BigInt(at), true);
    this.inst.returns.length = 0;
    this.inst.run(0, 1);
    return Number(this.inst.returns[0]![0]);
  }
}

describe('inlined hash lookups agree with the JS lookup', () => {
  const SIZES = [1, 3, 4, 5, 8, 12, 13, 16, 100, 150];
  const TYPES: HashType[] = ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'];

  for (const type of TYPES) {
    it(`${type}: the same address as the JS lookup for every key, on both CPUs, key sizes ${SIZES.join(', ')}, after deletes and reuse`, () => {
      for (const ks of SIZES) {
        const s = setup(type, ks, 200);
        const prog = translate(s, LOOKUP_FROM_CTX);
        expect(WebAssembly.Module.imports(prog.module).map((i) => i.name)).not.toContain('h1');
        const lookers = [0, 1].map((cpu) => new Looker(s, cpu, prog));
        const next = rng(ks * 7919 + type.length);
        const inserted = new Map<string, Uint8Array>();
        const ever = new Set<string>();
        // New keys only (1-byte keys run out: fewer of them).
        const add = (n: number): void => {
          for (let i = 0; i < n; i++) {
            const k = randomKey(next, ks);
            if (ever.has(hex(k))) continue;
            s.map.update(k, userValue(s.map, k));
            inserted.set(hex(k), k);
            ever.add(hex(k));
          }
        };
        add(150);
        // Deletes put elements back on the free lists; the next inserts reuse them in other buckets.
        const deleted: Uint8Array[] = [];
        for (const [h, k] of [...inserted].filter((_, i) => i % 3 === 0)) {
          try {
            s.map.delete(k);
          } catch (e) {
            // An LRU map may have evicted it already.
            if (!type.startsWith('lru')) throw e;
          }
          inserted.delete(h);
          deleted.push(k);
        }
        add(50);
        const absent = Array.from({ length: 100 }, () => randomKey(next, ks)).filter((k) => !ever.has(hex(k)));
        const keys = [...inserted.values(), ...deleted, ...absent];
        let found = 0;
        keys.forEach((k, i) => {
          for (const l of lookers) {
            const want = jsLookup(s.map, k, l.cpu);
            const got = l.lookup(k, i & 3);
            if (got !== want) expect({ type, ks, key: hex(k), cpu: l.cpu, got }).toEqual({ type, ks, key: hex(k), cpu: l.cpu, got: want });
            if (got !== 0) {
              found++;
              // The address holds this key's value (this CPU's slot for per-CPU maps).
              const v = new Uint8Array(s.mm.buffer, got, 8);
              expect(hex(v)).toBe(hex(valueOf(k, s.map.ops.percpu ? l.cpu : -1)));
            }
          }
        });
        const stillThere = [...inserted.values()].filter((k) => jsLookup(s.map, k, 0) !== 0).length;
        if (!type.startsWith('lru')) expect(stillThere).toBe(inserted.size);
        // Keys found on both CPUs; deleted and never-inserted keys are not found.
        expect(found).toBe(2 * stillThere);
        expect(stillThere).toBeGreaterThan(ks === 1 ? 50 : 100);
      }
    });
  }

  it('uses the map\'s seed: the same keys in two maps with different seeds, and BPF_F_ZERO_SEED', () => {
    const seeds = new Set<number>();
    for (const flags of [0, 0, BPF_F_ZERO_SEED]) {
      const s = setup('hash', 12, 64, flags);
      seeds.add(s.jit.hash!.seed);
      const l = new Looker(s, 0, translate(s, LOOKUP_FROM_CTX));
      const next = rng(99);
      const keys = Array.from({ length: 60 }, () => randomKey(next, 12));
      for (const k of keys) s.map.update(k, userValue(s.map, k));
      for (const k of keys) expect(l.lookup(k)).toBe(jsLookup(s.map, k, 0));
      for (const k of keys) expect(l.lookup(k)).not.toBe(0);
    }
    expect(seeds.has(0)).toBe(true);
    expect(seeds.size).toBe(3);
  });

  it('BPF_F_NO_PREALLOC maps have the same table: the same addresses as the JS lookup', () => {
    for (const type of ['hash', 'percpu_hash'] as const) {
      const s = setup(type, 8, 64, BPF_F_NO_PREALLOC);
      const l = new Looker(s, 1, translate(s, LOOKUP_FROM_CTX));
      const next = rng(5);
      const keys = Array.from({ length: 80 }, () => randomKey(next, 8));
      for (const k of keys.slice(0, 60)) s.map.update(k, userValue(s.map, k));
      for (const k of keys) expect(l.lookup(k)).toBe(jsLookup(s.map, k, 1));
      expect(keys.filter((k) => l.lookup(k) !== 0).length).toBe(60);
    }
  });

  it('finds every key of a long chain (keys chosen to share one bucket)', () => {
    const s = setup('hash', 4, 64);
    const l = new Looker(s, 0, translate(s, LOOKUP_FROM_CTX));
    const same: Uint8Array[] = [];
    for (let k = 0; same.length < 20; k++) {
      const key = new Uint8Array(new Uint32Array([k]).buffer);
      if (bucketOf(s, key) === 5) same.push(key);
    }
    for (const k of same) s.map.update(k, userValue(s.map, k));
    for (const k of same) {
      const got = l.lookup(k);
      expect(got).toBe(jsLookup(s.map, k, 0));
      expect(hex(new Uint8Array(s.mm.buffer, got, 8))).toBe(hex(valueOf(k, -1)));
    }
    // A key of the same bucket that is not there walks the whole chain to its end.
    let other = 100000;
    while (bucketOf(s, new Uint8Array(new Uint32Array([other]).buffer)) !== 5) other++;
    expect(l.lookup(new Uint8Array(new Uint32Array([other]).buffer))).toBe(0);
  });

  for (const type of ['lru_hash', 'lru_percpu_hash'] as const) {
    it(`${type}: a program lookup sets the element's ref bit (the syscall lookup does not)`, () => {
      const s = setup(type, 4, 64);
      const l = new Looker(s, 1, translate(s, LOOKUP_FROM_CTX));
      const key = new Uint8Array([7, 0, 0, 0]);
      s.map.update(key, userValue(s.map, key));
      const e = elementOf(s, key);
      const lru = lruListOf(s.map);
      s.map.lookup(key);
      expect(lru.isRef(e)).toBe(false);
      expect(l.lookup(key)).toBe(jsLookup(s.map, key, 1));
      expect(lru.isRef(e)).toBe(true);
    });
  }

  it('looks up from a sub-program: this CPU\'s slot of a PERCPU_HASH', () => {
    const s = setup('percpu_hash', 8, 16);
    const key = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    s.map.update(key, userValue(s.map, key));
    const a = new Asm().callLocal('f').exit();
    a.func('f').ldx('dw', R2, R1, 0).ldMap(R1, 0).call(1).exit();
    const prog = translate(s, a.build(), { funcs: a.funcs });
    for (const cpu of [0, 1]) {
      const got = new Looker(s, cpu, prog).lookup(key);
      expect(got).toBe(jsLookup(s.map, key, cpu));
      expect(hex(new Uint8Array(s.mm.buffer, got, 8))).toBe(hex(valueOf(key, cpu)));
    }
  });

  it('checked mode: bounds the key to key_size bytes, faulting at the call for a key outside the program\'s memory', () => {
    const s = setup('hash', 13, 16);
    const key = new Uint8Array(13).fill(9);
    s.map.update(key, userValue(s.map, key));
    const l = new Looker(s, 0, translate(s, LOOKUP_FROM_CTX, { checked: true }));
    expect(l.lookup(key)).toBe(jsLookup(s.map, key, 0));
    // The last byte of the key runs one past the region that holds it.
    const err = (() => {
      try {
        l.lookup(key, 512 - 12);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(Fault);
    expect([(err as Fault).kind, (err as Fault).pc, (err as Fault).addr]).toEqual([1, 3, s.keyBuf + 500]);
  });

  it('refuses to describe a hash map whose buffers are not in one memory (a map created on its own)', () => {
    const own = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'alone' });
    expect(() => htabGenLookup(own)).toThrow(
      "hash map 'alone': its buffers are not in one memory, so a translated program cannot address them (create it in a loaded object's memory)");
    const lru = createMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'alone_lru' });
    expect(() => lruGenLookup(lru)).toThrow(
      "LRU map 'alone_lru': its lists are not in the table's memory, so a translated program cannot set their ref bits");
  });

  it('leaves to h1 a lookup on a map pointer it cannot see, on a hash map without its layout, and with a key over 512 bytes', () => {
    const s = setup('hash', 4, 16);
    // The map pointer goes through the stack: the translator no longer knows which map it is.
    const hidden = new Asm().ldMap(R1, 0).stx('dw', R10, -16, R1).ldx('dw', R1, R10, -16)
      .st('w', R10, -4, 7).movr(R2, R10).alu64('add', R2, { imm: -4 }).call(1).exit().build();
    expect(WebAssembly.Module.imports(translate(s, hidden).module).map((i) => i.name)).toContain('h1');
    // A hash map whose layout the runtime did not give.
    const p = translateProgram({ name: 'x', pages: s.mm.pages, insns: LOOKUP_FROM_CTX, funcs: [{ name: 'main', start: 0 }], maps: [{ ...s.jit, hash: undefined }], checked: false });
    expect(WebAssembly.Module.imports(p.module).map((i) => i.name)).toContain('h1');
    // A key longer than a stack frame (it can only come from a map value).
    const big = setup('hash', 513, 4);
    expect(WebAssembly.Module.imports(translate(big, LOOKUP_FROM_CTX).module).map((i) => i.name)).toContain('h1');
    const frame = setup('hash', 512, 4);
    expect(WebAssembly.Module.imports(translate(frame, LOOKUP_FROM_CTX).module).map((i) => i.name)).not.toContain('h1');
  });
});

/** The element hashtab.ts's own walk finds for a key (no ref bit set), or -1. */
function elementOf(s: Setup, key: Uint8Array): number {
  const p = s.map.priv as HtabPriv;
  return find(p, hashOf(p, key), key);
}

/** The bucket hashtab.ts puts a key in. */
function bucketOf(s: Setup, key: Uint8Array): number {
  const p = s.map.priv as HtabPriv;
  return hashOf(p, key) & p.mask;
}

describe('two CPUs: lock-free Wasm lookups while another CPU changes the table', () => {
  const STABLE = 16;
  const PAIRS = 8;
  const XOR = 0x5a5a5a5a;

  /** 4-byte keys are the pid; 12-byte keys the pid and two constant words. */
  function keyBytes(pid: number, ks: number): Uint8Array {
    return new Uint8Array(new Uint32Array(ks === 4 ? [pid] : [pid, 0x11111111, 0x22222222]).buffer);
  }
  const valueBytes = (pid: number): Uint8Array => new Uint8Array(new Uint32Array([pid, (pid ^ XOR) >>> 0]).buffer);

  /**
   * Per event: key = this event's pid; r0 = 0 found with its own value, 1 a moving key not found,
   * 2 a moving key found with another value; 11 / 12 the same for a key that stays (never allowed).
   */
  function reader(ks: number): Uint8Array {
    const a = new Asm().call(14).alu32('mov', R6, R0).stx('w', R10, -16, R6);
    if (ks === 12) a.st('w', R10, -12, 0x11111111).st('w', R10, -8, 0x22222222);
    a.movr(R2, R10).alu64('add', R2, { imm: -16 }).ldMap(R1, 0).call(1)
      .jmp('jeq', R0, { imm: 0 }, 'miss')
      .ldx('w', R1, R0, 0).ldx('w', R2, R0, 4).alu32('mov', R3, R6).alu32('xor', R3, { imm: XOR })
      .jmp('jne', R1, R6, 'bad').jmp('jne', R2, R3, 'bad')
      .mov64(R0, 0).exit()
      .label('miss').mov64(R0, 1).ja('stays')
      .label('bad').mov64(R0, 2)
      .label('stays').jmp('jge', R6, { imm: STABLE }, 'out').alu64('add', R0, { imm: 10 })
      .label('out').exit();
    return a.build();
  }

  function readerWorker(s: Setup, prog: TranslatedProgram, flags: number, pidBase: number, pids: number, events?: number): Worker {
    return new Worker(new URL('./fixtures/htab-jit-reader.mjs', import.meta.url), {
      workerData: { module: prog.module, memory: s.mm.memory, cpu: 0, area: cpuArea(0), pidBase, pids, flags, events },
    });
  }
  const report = <T>(w: Worker): Promise<T> => new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });

  for (const [type, ks] of [['hash', 4], ['percpu_hash', 12]] as const) {
    it(`${type}, ${ks}-byte keys: a key that stays is always found with its own value while CPU 1 moves elements between buckets`, async () => {
      const s = setup(type, ks, STABLE + 2 * PAIRS);
      const flags = s.mm.alloc(16)!.byteOffset;
      const words = new Int32Array(s.mm.buffer);
      const put = (pid: number): void => {
        const v = valueBytes(pid);
        s.map.update(keyBytes(pid, ks), s.map.ops.percpu ? new Uint8Array([...v, ...v]) : v);
      };
      for (let pid = 0; pid < STABLE; pid++) put(pid);
      const pairs: Uint8Array[] = [];
      const values: Uint8Array[] = [];
      for (let pid = STABLE; pid < STABLE + 2 * PAIRS; pid++) {
        pairs.push(keyBytes(pid, ks));
        values.push(valueBytes(pid));
        if ((pid - STABLE) % 2 === 0) put(pid);
      }
      const r = readerWorker(s, translate(s, reader(ks)), flags, 0, STABLE + 2 * PAIRS);
      const w = new Worker(new URL('./fixtures/htab-jit-writer-boot.mjs', import.meta.url), {
        workerData: { handle: s.map.getHandle(), cpu: 1, rounds: 20000, pairs, values, memory: s.mm.memory, flags } satisfies WriterData,
      });
      const reports = [report<{ done: number; counts: Record<number, number> }>(r), report<{ problems: string[]; ops: number }>(w)] as const;
      reports.forEach((p) => p.catch(() => {}));
      try {
        while (Atomics.load(words, flags >> 2) < 2) await Promise.race([new Promise((t) => setTimeout(t, 5)), ...reports]);
        // Both are ready: go. The reader runs until the writer sets the stop word.
        Atomics.store(words, (flags >> 2) + 1, 1);
        Atomics.notify(words, (flags >> 2) + 1);
        const [read, wrote] = await Promise.all(reports);
        expect(wrote.problems).toEqual([]);
        expect(wrote.ops).toBe(20000 * PAIRS * 4);
        expect(read.counts[11] ?? 0).toBe(0);
        expect(read.counts[12] ?? 0).toBe(0);
        expect(read.counts[0]).toBeGreaterThan(0);
        expect(read.done).toBeGreaterThan(0);
      } finally {
        await Promise.all([r.terminate(), w.terminate()]);
      }
      for (let pid = 0; pid < STABLE; pid++) expect(jsLookup(s.map, keyBytes(pid, ks), 0)).not.toBe(0);
    }, 60_000);
  }

  it('a walk that ends on another bucket\'s end marker (its element was reused there) walks again until it ends on its own', async () => {
    const s = setup('hash', 4, 16);
    const flags = s.mm.alloc(16)!.byteOffset;
    const words = new Int32Array(s.mm.buffer);
    const dv = new DataView(s.mm.buffer);
    const h = s.jit.hash!;
    // K alone in its bucket, J in another.
    const K = 3;
    let J = 4;
    while (bucketOf(s, keyBytes(J, 4)) === bucketOf(s, keyBytes(K, 4))) J++;
    for (const pid of [K, J]) s.map.update(keyBytes(pid, 4), valueBytes(pid));
    const headK = h.heads + bucketOf(s, keyBytes(K, 4)) * h.bucketBytes;
    const linkK = dv.getInt32(headK, true);
    expect(linkK).toBe(elementOf(s, keyBytes(K, 4)) + 1);
    // K's head now leads to J's element, whose chain ends on J's bucket's marker: what a reader sees
    // when the element it stood on was freed and linked into J's bucket.
    Atomics.store(words, headK >> 2, elementOf(s, keyBytes(J, 4)) + 1);
    const r = readerWorker(s, translate(s, reader(4)), flags, K, 1, 1);
    const done = report<{ done: number; counts: Record<number, number> }>(r);
    let finished = false;
    void done.then(() => { finished = true; }, () => {});
    try {
      while (Atomics.load(words, flags >> 2) < 1) await Promise.race([new Promise((t) => setTimeout(t, 5)), done]);
      Atomics.store(words, (flags >> 2) + 1, 1);
      Atomics.notify(words, (flags >> 2) + 1);
      while (Atomics.load(words, (flags >> 2) + 3) === 0) await Promise.race([new Promise((t) => setTimeout(t, 5)), done]);
      // Not "not found": the lookup keeps walking while the chain ends elsewhere...
      await new Promise((t) => setTimeout(t, 300));
      expect(finished).toBe(false);
      // ...and finds K once its bucket's chain is whole again.
      Atomics.store(words, headK >> 2, linkK);
      expect(await done).toEqual({ cpu: 0, done: 1, counts: { 0: 1 } });
    } finally {
      await r.terminate();
    }
  });
});
