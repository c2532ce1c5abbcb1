import { describe, expect, it } from 'vitest';
import { BatchError } from '../src/maps/batch.js';
import { BpfError } from '../src/maps/errno.js';
import { jhash2Word1 } from '../src/maps/jhash.js';
import { bpf_spin_lock, struct, u32 } from '../src/maps/layout.js';
import type { MapSpec } from '../src/maps/bpf.js';
import { createMap, type BpfMap } from '../src/maps/syscall.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_ZERO_SEED } from '../src/maps/uapi.js';
import { le32 } from './helpers.js';

const num = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const packed = (xs: number[]): Uint8Array => {
  const b = new Uint8Array(4 * xs.length);
  xs.forEach((x, i) => b.set(le32(x), 4 * i));
  return b;
};
const words = (b: Uint8Array): number[] => Array.from({ length: b.length / 4 }, (_, i) => num(b, 4 * i));

function caught(f: () => unknown): BatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof BatchError) return e;
    throw e;
  }
  throw new Error('no error');
}

function hash(spec: Partial<MapSpec> = {}): BpfMap {
  return createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, flags: BPF_F_ZERO_SEED, ...spec }, { cpus: 2 });
}

/** n 4-byte keys from `from` on that land in bucket b of an 8-bucket zero-seed hash. */
function inBucket(b: number, n: number, from = 0): number[] {
  const out: number[] = [];
  for (let k = from; out.length < n; k++) if ((jhash2Word1(k, 0) & 7) === b) out.push(k);
  return out;
}

describe('array batches (the generic commands)', () => {
  const array = (): BpfMap => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 2 });
    for (let i = 0; i < 4; i++) m.update(i, le32(100 + i));
    return m;
  };

  it('copies count elements from the start; out_batch is the last key; filling count exactly is not the end', () => {
    const r = array().lookupBatch(null, 4);
    expect([r.count, words(r.keys), words(r.values), words(r.outBatch!), r.end]).toEqual([4, [0, 1, 2, 3], [100, 101, 102, 103], [3], false]);
  });

  it('ends with ENOENT and the elements it found when it runs off the end', () => {
    const r = array().lookupBatch(2, 3);
    expect([r.count, words(r.keys), words(r.outBatch!), r.end]).toEqual([1, [3], [3], true]);
  });

  it('ends at once, writing no out_batch, when the cursor is the last key', () => {
    const r = array().lookupBatch(3, 3);
    expect([r.count, r.outBatch, r.end]).toEqual([0, null, true]);
  });

  it('starts again from the first key when the cursor is past max_entries (get_next_key semantics)', () => {
    expect(words(array().lookupBatch(9, 2).keys)).toEqual([0, 1]);
  });

  it('has no delete batches: ENOTSUPP, with the count passed in left as it was', () => {
    const m = array();
    expect([caught(() => m.deleteBatch(packed([1]))).errno, caught(() => m.deleteBatch(packed([1]))).count]).toEqual(['ENOTSUPP', 1]);
    expect(caught(() => m.lookupAndDeleteBatch(null, 3)).errno).toBe('ENOTSUPP');
  });

  it('stops an update batch at the first error; count says how many were done', () => {
    const m = array();
    const e = caught(() => m.updateBatch(packed([1, 7, 2]), packed([5, 6, 7])));
    expect([e.errno, e.count]).toEqual(['E2BIG', 1]);
    expect([num(m.lookup(1)), num(m.lookup(2))]).toEqual([5, 102]);
  });

  it('returns at once for count 0', () => {
    expect(array().lookupBatch(null, 0)).toMatchObject({ count: 0, outBatch: null, end: false });
    expect(array().updateBatch(packed([]), packed([]))).toBe(0);
  });
});

describe('hash batches (whole buckets, a bucket-index cursor)', () => {
  it('walks every bucket in one call and says ENOENT with all the data, out_batch n_buckets', () => {
    const m = hash();
    const keys = [...inBucket(1, 2), ...inBucket(5, 1)];
    m.updateBatch(packed(keys), packed(keys.map((k) => k + 1)));
    const r = m.lookupBatch(null, 10);
    expect(r.count).toBe(3);
    expect(r.end).toBe(true);
    expect(words(r.outBatch!)).toEqual([8]);
    expect(words(r.keys).sort((a, b) => a - b)).toEqual([...keys].sort((a, b) => a - b));
    expect(words(r.values)).toEqual(words(r.keys).map((k) => k + 1));
  });

  it('fails with ENOSPC when the first non-empty bucket holds more than count, naming that bucket', () => {
    const m = hash();
    m.updateBatch(packed(inBucket(3, 3)), packed([1, 2, 3]));
    const e = caught(() => m.lookupBatch(null, 2));
    expect([e.errno, e.count, words(e.outBatch!)]).toEqual(['ENOSPC', 0, [3]]);
  });

  it('stops before a bucket that does not fit what is left, returns 0, and resumes there', () => {
    const m = hash();
    const one = inBucket(1, 1);
    const three = inBucket(4, 3);
    m.updateBatch(packed([...one, ...three]), packed([1, 2, 3, 4]));
    const first = m.lookupBatch(null, 2);
    expect([first.count, words(first.keys), words(first.outBatch!), first.end]).toEqual([1, one, [4], false]);
    const next = m.lookupBatch(first.outBatch, 3);
    expect([next.count, words(next.keys).sort((a, b) => a - b), next.end]).toEqual([3, [...three].sort((a, b) => a - b), true]);
  });

  it('answers ENOENT with no data and no out_batch for a cursor past the last bucket', () => {
    expect(hash().lookupBatch(8, 4)).toMatchObject({ count: 0, outBatch: null, end: true });
  });

  it('refuses a non-zero batch flags word with EINVAL, leaving count as passed in', () => {
    const e = caught(() => hash().lookupBatch(null, 4, { flags: 1 }));
    expect([e.errno, e.count]).toEqual(['EINVAL', 4]);
  });

  it('refuses elem_flags other than BPF_F_LOCK, and BPF_F_LOCK without a lock, with EINVAL', () => {
    expect(caught(() => hash().lookupBatch(null, 4, { elemFlags: 1 })).errno).toBe('EINVAL');
    expect(caught(() => hash().lookupBatch(null, 4, { elemFlags: BPF_F_LOCK })).errno).toBe('EINVAL');
    expect(caught(() => hash().updateBatch(packed([1]), packed([1]), { elemFlags: 2 })).errno).toBe('EINVAL');
  });

  it('copies values under their bpf_spin_lock with BPF_F_LOCK, the lock word reading 0', () => {
    const V = struct({ n: u32, lock: bpf_spin_lock });
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, value: V }, { cpus: 2 });
    m.updateBatch(packed([7]), new Uint8Array([9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), { elemFlags: BPF_F_LOCK });
    expect([...m.lookupBatch(null, 4, { elemFlags: BPF_F_LOCK }).values]).toEqual([9, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('deletes what lookup-and-delete returns; batches of any size see every key exactly once', () => {
    const m = hash({ maxEntries: 64 });
    const keys = Array.from({ length: 50 }, (_, i) => i * 3);
    m.updateBatch(packed(keys), packed(keys));
    const seen: number[] = [];
    let cursor: Uint8Array | null = null;
    for (let i = 0; i < 100; i++) {
      const r: ReturnType<BpfMap['lookupAndDeleteBatch']> = m.lookupAndDeleteBatch(cursor, 7);
      seen.push(...words(r.keys));
      if (r.end) break;
      cursor = r.outBatch;
    }
    expect(seen.sort((a, b) => a - b)).toEqual(keys);
    expect([...m.keys()]).toEqual([]);
  });

  it('stops a delete batch at a missing key with ENOENT, count saying how many went', () => {
    const m = hash();
    m.updateBatch(packed([1, 2]), packed([1, 2]));
    const e = caught(() => m.deleteBatch(packed([1, 5, 2])));
    expect([e.errno, e.count]).toEqual(['ENOENT', 1]);
    expect(words(m.lookupBatch(null, 4).keys)).toEqual([2]);
  });

  it('gives per-CPU values as every CPU\'s round_up(value_size, 8) bytes', () => {
    const m = createMap({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 2 });
    m.updateBatch(packed([5]), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
    expect([...m.lookupBatch(null, 1).values]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('who may batch', () => {
  it('gives ENOTSUPP for queue, stack, ring buffer and bloom filter maps', () => {
    const specs: MapSpec[] = [
      { type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 },
      { type: 'stack', keySize: 0, valueSize: 4, maxEntries: 4 },
      { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
      { type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 },
    ];
    for (const s of specs) expect(caught(() => createMap(s, { cpus: 2 }).lookupBatch(null, 1)).errno).toBe('ENOTSUPP');
  });

  it('needs read permission to look up and write permission to change (EPERM), frozen maps included', () => {
    expect(caught(() => hash({ flags: BPF_F_WRONLY }).lookupBatch(null, 1)).errno).toBe('EPERM');
    expect(caught(() => hash({ flags: BPF_F_RDONLY }).updateBatch(packed([1]), packed([1]))).errno).toBe('EPERM');
    expect(caught(() => hash({ flags: BPF_F_RDONLY }).lookupAndDeleteBatch(null, 1)).errno).toBe('EPERM');
    const m = hash();
    m.freeze();
    expect(caught(() => m.deleteBatch(packed([1]))).errno).toBe('EPERM');
    expect(m.lookupBatch(null, 1).end).toBe(true);
  });

  it('reports a BatchError as a BpfError naming the command and the count', () => {
    const e = caught(() => hash().deleteBatch(packed([4])));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.message).toMatch(/^BPF_MAP_DELETE_BATCH on map '\(unnamed\)' failed with ENOENT .*\(count 0\)$/);
  });
});
