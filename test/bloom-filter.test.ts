// BPF_MAP_TYPE_BLOOM_FILTER: creation checks, the kernel's bit-array sizing and hashing, and every
// op from user space and from programs.
//
// Values marked "kernel:" are the live kernel's answers (6.18, x86-64), from raw bpf(2) calls.
// The false-positive lists come from a filter created with BPF_F_ZERO_SEED: the values 0..n-1
// were pushed with BPF_MAP_UPDATE_ELEM (null key), then every later value was looked up, and the
// kernel answered 0 (maybe present) for exactly the values listed. Value i is value_size bytes:
// i as a little-endian u32 in bytes 0..3 (truncated when value_size < 4), then byte j = j.

import { describe, expect, it } from 'vitest';
import { BpfError, createMap, type MapSpec } from '../src/index.js';
import { bpf_map_peek_elem, bpf_map_pop_elem, bpf_map_push_elem, bpf_map_update_elem } from '../src/maps/helpers.js';
import { bloomBits, bloomParams } from '../src/maps/bloom-filter.js';
import { EINVAL, ENOENT } from '../src/maps/errno.js';
import { struct, u32 } from '../src/maps/layout.js';
import {
  BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST,
} from '../src/maps/uapi.js';
import { errnoOf } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// These tests call program helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);


const valueOf = (valueSize: number, i: number): Uint8Array => {
  const b = new Uint8Array(valueSize);
  for (let j = 0; j < valueSize; j++) b[j] = j < 4 ? (i >>> (8 * j)) & 0xff : j;
  return b;
};

const bloom = (valueSize: number, maxEntries: number, mapExtra: number, flags = BPF_F_ZERO_SEED) =>
  createMap({ type: 'bloom_filter', keySize: 0, valueSize, maxEntries, mapExtra, flags, name: 'bf' }, { cpus: 2 });

/** Push values 0..pushed-1, then list the values in [pushed, pushed + tested) the filter says may be present. */
function falsePositives(valueSize: number, maxEntries: number, mapExtra: number, pushed: number, tested: number): number[] {
  const m = bloom(valueSize, maxEntries, mapExtra);
  for (let i = 0; i < pushed; i++) m.update(null, valueOf(valueSize, i));
  for (let i = 0; i < pushed; i++) expect(errnoOf(() => m.lookup(null, 0, valueOf(valueSize, i)))).toBe('ok');
  const present: number[] = [];
  for (let i = pushed; i < pushed + tested; i++) {
    if (errnoOf(() => m.lookup(null, 0, valueOf(valueSize, i))) === 'ok') present.push(i);
  }
  return present;
}

describe('bloom filter creation', () => {
  const create = (spec: Partial<MapSpec>) => errnoOf(() =>
    createMap({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 100, ...spec }, { cpus: 1 }));

  it('accepts key 0, value 4, 100 entries', () => expect(create({})).toBe('ok'));
  it('checks value_size > KMALLOC_MAX_SIZE first (E2BIG even with a bad key size or no entries)', () => {
    // kernel: value 4194305 -> E2BIG with key 0 or 4, entries 100 or 0.
    expect(create({ valueSize: 4 * 1024 * 1024 + 1 })).toBe('E2BIG');
    expect(create({ valueSize: 4 * 1024 * 1024 + 1, keySize: 4, maxEntries: 0 })).toBe('E2BIG');
  });
  it('rejects a key, value_size 0 and max_entries 0 with EINVAL', () => {
    expect(create({ keySize: 4 })).toBe('EINVAL');
    expect(create({ valueSize: 0 })).toBe('EINVAL');
    expect(create({ maxEntries: 0 })).toBe('EINVAL');
  });
  it('takes NUMA_NODE, ZERO_SEED and one of the *_PROG flags; rejects others with EINVAL', () => {
    // kernel: flags 64 ok, 128 ok, 384 EINVAL, 1 EINVAL, 0x400 EINVAL, 0x1000 EINVAL.
    for (const flags of [BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BPF_F_RDONLY_PROG]) expect(create({ flags })).toBe('ok');
    for (const flags of [BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, BPF_F_NO_PREALLOC, BPF_F_MMAPABLE, BPF_F_INNER_MAP]) {
      expect(create({ flags })).toBe('EINVAL');
    }
  });
  it('takes map_extra 0..15 as the hash count (0 means 5) and rejects higher bits with EINVAL', () => {
    // kernel: extra 15 ok, extra 16 EINVAL.
    expect(create({ mapExtra: 15 })).toBe('ok');
    expect(create({ mapExtra: 16 })).toBe('EINVAL');
    expect(create({ mapExtra: 0x100 })).toBe('EINVAL');
    expect(bloomParams(bloom(4, 10, 0)).nrHashFuncs).toBe(5);
    expect(bloomParams(bloom(4, 10, 3)).nrHashFuncs).toBe(3);
  });
  it('uses seed 0 with BPF_F_ZERO_SEED and a random seed otherwise', () => {
    expect(bloomParams(bloom(4, 10, 0)).seed).toBe(0);
    const seeds = new Set([0, 1, 2, 3].map(() => bloomParams(bloom(4, 10, 0, 0)).seed));
    expect(seeds.size).toBeGreaterThan(1);
  });
});

describe('bloom filter bit-array sizing', () => {
  // kernel: memlock in /proc/<pid>/fdinfo = 312 (struct bpf_bloom_filter) + bitset bytes.
  const cases: [number, number, number, string][] = [
    [1, 1, 64, 'memlock 320: at least 64 bits'],
    [9, 5, 64, 'memlock 320: 45 / 5 * 7 = 63'],
    [10, 5, 128, 'memlock 328: 50 / 5 * 7 = 70, rounded up'],
    [65, 1, 128, 'memlock 328'],
    [1000, 5, 8192, 'memlock 1336'],
    [306783378, 1, 2 ** 29, 'memlock 67109176'],
    [1533916894, 1, 2 ** 31, 'memlock 268435768: 2147483646 bits round up to 2^31'],
    [1533916895, 1, 2 ** 32, 'memlock 536871224: 2147483653 bits pass 2^31'],
    [0x7fffffff, 2, 2 ** 32, 'memlock 536871224: n * 7 / 5 overflows a u32'],
    [0xffffffff, 15, 2 ** 32, 'memlock 536871224: n * k overflows a u32'],
  ];
  for (const [maxEntries, k, bits, why] of cases) {
    it(`max_entries ${maxEntries}, ${k} hash functions -> ${bits} bits (kernel: ${why})`, () => {
      expect(bloomBits(maxEntries, k)).toEqual({ bits, mask: bits === 2 ** 32 ? 0xffffffff : bits - 1 });
    });
  }
  it('allocates round_up(bits / 8, 8) bytes', () => {
    expect(bloom(4, 1000, 5).getHandle().regions[0]!.byteLength).toBe(1024);
    expect(bloom(4, 1, 1).getHandle().regions[0]!.byteLength).toBe(8);
  });
});

describe('bloom filter hashing: the kernel\'s false positives (BPF_F_ZERO_SEED)', () => {
  // [value_size, max_entries, map_extra, pushed, tested, the kernel's "maybe present" answers]
  const kernel: [number, number, number, number, number, number[]][] = [
    // jhash2 over u32 words (value_size % 4 == 0)
    [4, 1, 1, 3, 200, [13, 26, 59, 84, 117, 127, 141, 180, 188, 190]],
    [4, 4, 3, 4, 200, [33, 171]],
    [4, 3, 7, 5, 250, [69]],
    [8, 3, 0, 5, 250, []],
    [12, 1, 1, 2, 200, [7, 9, 110, 111, 153, 201]],
    [16, 2, 2, 3, 200, [180]],
    [20, 3, 15, 5, 250, []],
    [24, 1, 1, 2, 200, [20, 39, 99, 109, 164, 185, 186, 196]],
    // jhash over bytes (every tail length of lookup3's last block)
    [1, 3, 2, 5, 250, [14, 114, 149, 175]],
    [2, 3, 2, 5, 250, [14, 16, 218]],
    [3, 1, 1, 2, 200, [14, 29, 38, 68, 75, 113, 136, 149]],
    [5, 3, 2, 5, 250, [48, 87, 131]],
    [6, 1, 0, 2, 200, []],
    [7, 3, 2, 5, 250, [66, 72, 117, 153, 171, 207]],
    [9, 3, 2, 5, 250, [37, 69, 198, 243]],
    [11, 3, 2, 5, 250, [120, 174]],
    [13, 2, 2, 3, 200, [22, 114]],
  ];
  for (const [vs, me, extra, pushed, tested, fps] of kernel) {
    it(`value_size ${vs}, max_entries ${me}, map_extra ${extra}: no false negatives, the kernel's false positives`, () => {
      expect(falsePositives(vs, me, extra, pushed, tested)).toEqual(fps);
    });
  }

  it('agrees with the kernel on 1000 values in a 1000-entry filter (5 hashes, 8192 bits)', () => {
    const kernelFps = [1085, 1095, 1190, 1288, 1296, 1298, 1317, 1337, 1343, 1535, 1601, 1690, 1716, 1720, 1742, 1837,
      1874, 1908, 2032, 2148, 2150, 2183, 2214, 2245, 2261, 2275, 2341, 2386, 2387, 2454, 2555, 2581, 2615, 2648, 2725,
      2729, 2759, 2828, 2894, 2912, 2958, 3027, 3054, 3126, 3194, 3205, 3210, 3320, 3337, 3429, 3486, 3630, 3649, 3680,
      3682, 3698, 3720, 3801, 3829, 3842, 3971, 4053, 4060, 4068, 4094, 4103, 4119, 4228, 4282, 4302, 4366, 4400, 4438,
      4447, 4537, 4548, 4623, 4664, 4763, 4765, 4780, 4876, 4894, 4908, 4930, 5070, 5098, 5157, 5158, 5160, 5168, 5221,
      5235, 5259, 5278, 5283, 5298, 5338, 5342, 5385, 5480, 5484, 5595, 5653, 5696, 5732, 5812, 5814, 5818, 5837, 5886];
    expect(falsePositives(4, 1000, 0, 1000, 5000)).toEqual(kernelFps);
  });
});

describe('bloom filter from user space', () => {
  it('pushes with update(null, value) and tests membership with lookup(null, 0, value)', () => {
    // kernel: push 01000000; lookup 01000000 -> 0; lookup 02000000 -> ENOENT.
    const m = bloom(4, 10, 3);
    m.update(null, valueOf(4, 1));
    expect([...m.lookup(null, 0, valueOf(4, 1))]).toEqual([1, 0, 0, 0]);
    expect(errnoOf(() => m.lookup(null, 0, valueOf(4, 2)))).toBe('ENOENT');
  });
  it('rejects update flags other than BPF_ANY with EINVAL (BPF_F_LOCK too)', () => {
    // kernel: update flags 1, 2, 4 -> EINVAL.
    const m = bloom(4, 10, 3);
    for (const flags of [BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK]) expect(errnoOf(() => m.update(null, valueOf(4, 1), flags))).toBe('EINVAL');
    expect(errnoOf(() => m.lookup(null, 0, valueOf(4, 1)))).toBe('ENOENT');
  });
  it('fails delete and get_next_key with EOPNOTSUPP and lookup_and_delete with ENOTSUPP', () => {
    // kernel: delete -> 95, next -> 95, lookup_and_delete -> 524, lookup_and_delete flags 4 -> EINVAL.
    const m = bloom(4, 10, 3);
    expect(errnoOf(() => m.delete(null))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => m.getNextKey(null))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => m.lookupAndDelete(null))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.lookupAndDelete(null, BPF_F_LOCK))).toBe('EINVAL');
  });
  it('rejects lookup with BPF_F_LOCK (EINVAL), a key (EINVAL) and a value of the wrong size (EINVAL)', () => {
    const m = bloom(4, 10, 3);
    expect(errnoOf(() => m.lookup(null, BPF_F_LOCK, valueOf(4, 1)))).toBe('EINVAL');
    expect(errnoOf(() => m.lookup(new Uint8Array(4), 0, valueOf(4, 1)))).toBe('EINVAL');
    expect(errnoOf(() => m.lookup(null, 0, new Uint8Array(8)))).toBe('EINVAL');
  });
  it('refuses pushes once frozen (EPERM) but still answers lookups', () => {
    // kernel: freeze; update -> EPERM; lookup 01000000 -> 0.
    const m = bloom(4, 10, 3);
    m.update(null, valueOf(4, 1));
    m.freeze();
    expect(errnoOf(() => m.update(null, valueOf(4, 1)))).toBe('EPERM');
    expect(errnoOf(() => m.lookup(null, 0, valueOf(4, 1)))).toBe('ok');
  });
});

describe('bloom filter from programs', () => {
  // kernel (socket-filter programs, BPF_PROG_TEST_RUN): push -> 0; push flags 2 or 1 -> -22;
  // peek of the pushed value -> 0, of another -> -2; bpf_map_pop_elem is refused at load.
  it('pushes and peeks with program buffers and views; absent values give -ENOENT', () => {
    const m = bloom(4, 100, 0);
    expect(bpf_map_push_elem(m, valueOf(4, 7), 0)).toBe(0);
    expect(bpf_map_peek_elem(m, valueOf(4, 7))).toBe(0);
    expect(bpf_map_peek_elem(m, valueOf(4, 8))).toBe(ENOENT);
    const V = struct({ x: u32 });
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, value: V }, { cpus: 1 });
    arr.update(0, valueOf(4, 8));
    expect(bpf_map_push_elem(m, arr.ops.lookupElem(arr, 0, 0)!, 0)).toBe(0);
    expect(bpf_map_peek_elem(m, valueOf(4, 8))).toBe(0);
    expect(errnoOf(() => m.lookup(null, 0, valueOf(4, 8)))).toBe('ok');
  });
  it('rejects push flags other than 0 with -EINVAL and a program update with -EINVAL', () => {
    const m = bloom(4, 100, 0);
    expect(bpf_map_push_elem(m, valueOf(4, 1), BPF_EXIST)).toBe(EINVAL);
    expect(bpf_map_push_elem(m, valueOf(4, 1), -1)).toBe(EINVAL);
    expect(bpf_map_peek_elem(m, valueOf(4, 1))).toBe(ENOENT);
    expect(bpf_map_update_elem(m, new Uint8Array(0), valueOf(4, 1), 0)).toBe(EINVAL);
  });
  it('throws for bpf_map_pop_elem (the verifier allows only push and peek on a bloom filter)', () => {
    const m = bloom(4, 100, 0);
    expect(() => bpf_map_pop_elem(m, new Uint8Array(4))).toThrow('cannot pass map_type 30 into func bpf_map_pop_elem#88'); // kernel: the verifier's line
  });
  it('sees the same bits from user space and programs with a random seed', () => {
    const m = bloom(8, 50, 4, 0);
    for (let i = 0; i < 50; i++) expect(bpf_map_push_elem(m, valueOf(8, i * 3), 0)).toBe(0);
    for (let i = 0; i < 50; i++) expect(errnoOf(() => m.lookup(null, 0, valueOf(8, i * 3)))).toBe('ok');
  });
});
