import { describe, expect, it } from 'vitest';
import { createMap, BPF_ANY, BPF_EXIST, BPF_NOEXIST, BPF_F_NO_PREALLOC, type BpfMap } from '../src/index.js';
import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_update_elem } from '../src/maps/helpers.js';
import { lpmStats, LPM_VAL_SIZE_MAX, QUARANTINE } from '../src/maps/lpm-trie.js';
import { MapMemory } from '../src/maps/memory.js';
import { errnoOf, le32 } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// Program helpers run on a CPU: this thread plays CPU 0.
setSmpProcessorId(0);

// BPF_MAP_TYPE_LPM_TRIE: keys are { u32 prefixlen; u8 data[] }, data big-endian.

/** An IPv4 prefix key: prefixlen, then the four address bytes. */
const v4 = (addr: string, len: number): Uint8Array => new Uint8Array([len, 0, 0, 0, ...addr.split('.').map(Number)]);
const keyText = (k: Uint8Array): string => `${[...k.subarray(4)].join('.')}/${k[0]! | (k[1]! << 8)}`;
const u32Of = (b: Uint8Array): number => b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);

function trie(maxEntries = 16, extra: Partial<Parameters<typeof createMap>[0]> = {}): BpfMap {
  return createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries, flags: BPF_F_NO_PREALLOC, name: 'routes', ...extra }, { cpus: 2 });
}

/** The kernel's own example (lpm_trie.c): 192.168.0.0/16, /24, 192.168.128.0/24, 192.168.1.0/24. */
function example(): BpfMap {
  const m = trie();
  m.update(v4('192.168.0.0', 16), le32(1));
  m.update(v4('192.168.0.0', 24), le32(2));
  m.update(v4('192.168.128.0', 24), le32(3));
  m.update(v4('192.168.1.0', 24), le32(5));
  return m;
}

describe('LPM trie creation', () => {
  it('requires BPF_F_NO_PREALLOC', () => {
    expect(errnoOf(() => createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 4 }))).toBe('EINVAL');
    expect(errnoOf(() => trie())).toBe('ok');
  });

  it('takes 1 to 256 data bytes after the 4-byte prefix length', () => {
    expect([4, 5, 260, 261].map((keySize) => errnoOf(() => trie(4, { keySize })))).toEqual(['EINVAL', 'ok', 'ok', 'EINVAL']);
  });

  it('takes values of 1 byte up to KMALLOC_MAX_SIZE less the largest node', () => {
    expect(LPM_VAL_SIZE_MAX).toBe(4194024);
    expect([0, 1, LPM_VAL_SIZE_MAX, LPM_VAL_SIZE_MAX + 1].map((valueSize) => errnoOf(() => trie(4, { valueSize })))).toEqual(['EINVAL', 'ok', 'ok', 'EINVAL']);
  });

  it('creates any max_entries but 0, allocating nodes only up to its pool', () => {
    expect(errnoOf(() => trie(0))).toBe('EINVAL');
    const huge = trie(0xffffffff);
    expect(huge.info().maxEntries).toBe(0xffffffff);
    expect(lpmStats(huge).poolNodes).toBe(Math.floor((256 << 20) / 32));
  });

  it('accepts only NO_PREALLOC, NUMA_NODE and the access flags', () => {
    const ok = [0, 2, 3, 4, 7, 8];
    for (let b = 0; b < 16; b++) {
      expect(errnoOf(() => trie(4, { flags: BPF_F_NO_PREALLOC | (1 << b) })), `bit ${b}`).toBe(ok.includes(b) ? 'ok' : 'EINVAL');
    }
  });
});

describe('LPM trie lookups', () => {
  it('finds the longest prefix that matches an address', () => {
    const m = example();
    expect(u32Of(m.lookup(v4('192.168.1.7', 32)))).toBe(5);
    expect(u32Of(m.lookup(v4('192.168.0.9', 32)))).toBe(2);
    expect(u32Of(m.lookup(v4('192.168.2.7', 32)))).toBe(1);
    expect(u32Of(m.lookup(v4('192.168.128.77', 32)))).toBe(3);
    expect(u32Of(m.lookup(v4('192.168.200.1', 32)))).toBe(1);
    expect(errnoOf(() => m.lookup(v4('10.0.0.1', 32)))).toBe('ENOENT');
  });

  it('matches only the key prefixlen bits of the key', () => {
    const m = example();
    expect(u32Of(m.lookup(v4('192.168.1.7', 17)))).toBe(1);
    expect(u32Of(m.lookup(v4('192.168.1.7', 24)))).toBe(5);
    expect(errnoOf(() => m.lookup(v4('192.168.1.7', 15)))).toBe('ENOENT');
  });

  it('finds nothing for a prefixlen past the data', () => {
    const m = example();
    expect(errnoOf(() => m.lookup(v4('192.168.1.7', 33)))).toBe('ENOENT');
  });

  it('never returns an intermediate node', () => {
    const m = trie();
    m.update(v4('192.168.0.0', 24), le32(2));
    m.update(v4('192.168.1.0', 24), le32(5));
    // 192.168.0.0/23 is the intermediate node between them.
    expect(lpmStats(m)).toMatchObject({ entries: 2, intermediate: 1 });
    expect(errnoOf(() => m.lookup(v4('192.168.0.0', 23)))).toBe('ENOENT');
  });
});

describe('LPM trie updates', () => {
  it('follows BPF_NOEXIST and BPF_EXIST, and refuses other flags', () => {
    const m = trie();
    expect(errnoOf(() => m.update(v4('10.0.0.0', 8), le32(1), BPF_EXIST))).toBe('ENOENT');
    expect(errnoOf(() => m.update(v4('10.0.0.0', 8), le32(1), BPF_NOEXIST))).toBe('ok');
    expect(errnoOf(() => m.update(v4('10.0.0.0', 8), le32(2), BPF_NOEXIST))).toBe('EEXIST');
    expect(errnoOf(() => m.update(v4('10.0.0.0', 8), le32(3), BPF_EXIST))).toBe('ok');
    expect(errnoOf(() => m.update(v4('10.0.0.0', 8), le32(4), 3))).toBe('EINVAL');
    expect(u32Of(m.lookup(v4('10.1.2.3', 32)))).toBe(3);
  });

  it('refuses a prefixlen longer than the data', () => {
    expect(errnoOf(() => trie().update(v4('10.0.0.0', 33), le32(1)))).toBe('EINVAL');
  });

  it('turns an intermediate node into a real one on BPF_ANY and BPF_NOEXIST, not on BPF_EXIST', () => {
    const m = trie();
    m.update(v4('192.168.0.0', 24), le32(2));
    m.update(v4('192.168.1.0', 24), le32(5));
    expect(errnoOf(() => m.update(v4('192.168.0.0', 23), le32(9), BPF_EXIST))).toBe('ENOENT');
    expect(errnoOf(() => m.update(v4('192.168.0.0', 23), le32(9), BPF_NOEXIST))).toBe('ok');
    expect(lpmStats(m)).toMatchObject({ entries: 3, intermediate: 0 });
  });

  it('is full at max_entries prefixes: a new one gets ENOSPC, a replacement still works', () => {
    const m = trie(2);
    m.update(v4('10.0.0.0', 8), le32(1));
    m.update(v4('11.0.0.0', 8), le32(2));
    expect(errnoOf(() => m.update(v4('12.0.0.0', 8), le32(3)))).toBe('ENOSPC');
    expect(errnoOf(() => m.update(v4('11.0.0.0', 8), le32(4)))).toBe('ok');
    expect(errnoOf(() => m.update(v4('11.0.0.0', 8), le32(5), BPF_EXIST))).toBe('ok');
    expect(u32Of(m.lookup(v4('11.1.1.1', 32)))).toBe(5);
  });

  it('counts an intermediate node made real against max_entries', () => {
    const m = trie(2);
    m.update(v4('192.168.0.0', 24), le32(2));
    m.update(v4('192.168.1.0', 24), le32(5));
    expect(errnoOf(() => m.update(v4('192.168.0.0', 23), le32(9)))).toBe('ENOSPC');
  });
});

describe('LPM trie deletes', () => {
  it('deletes only an exact prefix, never an intermediate node', () => {
    const m = example();
    expect(errnoOf(() => m.delete(v4('192.168.1.7', 32)))).toBe('ENOENT');
    expect(errnoOf(() => m.delete(v4('192.168.0.0', 23)))).toBe('ENOENT');
    expect(errnoOf(() => m.delete(v4('192.168.0.0', 33)))).toBe('EINVAL');
    expect(errnoOf(() => m.delete(v4('192.168.1.0', 24)))).toBe('ok');
    expect(errnoOf(() => m.delete(v4('192.168.1.0', 24)))).toBe('ENOENT');
  });

  it('removes a leaf together with its intermediate parent, promoting the sibling', () => {
    const m = example();
    expect(lpmStats(m)).toMatchObject({ entries: 4, intermediate: 1 });
    m.delete(v4('192.168.1.0', 24));
    expect(lpmStats(m)).toMatchObject({ entries: 3, intermediate: 0 });
    expect(u32Of(m.lookup(v4('192.168.1.7', 32)))).toBe(1);
  });

  it('keeps a node with two children as an intermediate one', () => {
    const m = example();
    m.delete(v4('192.168.0.0', 16));
    expect(lpmStats(m)).toMatchObject({ entries: 3, intermediate: 2 });
    expect(errnoOf(() => m.lookup(v4('192.168.2.7', 32)))).toBe('ENOENT');
  });
});

describe('LPM trie walks (get_next_key in post-order)', () => {
  it('walks more specific prefixes before less specific ones, as the kernel documents', () => {
    expect([...example().keys()].map(keyText)).toEqual(['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
  });

  it('restarts at the first key for a key that is not in the trie', () => {
    const m = example();
    expect(keyText(m.getNextKey(v4('10.0.0.0', 8)))).toBe('192.168.0.0/24');
    expect(keyText(m.getNextKey(v4('192.168.0.0', 40)))).toBe('192.168.0.0/24');
    expect(keyText(m.getNextKey(v4('192.168.1.0', 24)))).toBe('192.168.128.0/24');
    expect(errnoOf(() => m.getNextKey(v4('192.168.0.0', 16)))).toBe('ENOENT');
    expect(errnoOf(() => trie().getNextKey(null))).toBe('ENOENT');
  });

  it('dumps in get_next_key order, as bpftool prints a trie', () => {
    const m = trie();
    m.update(new Uint8Array([0x12, 0, 0, 0, 0xc0, 0xa8, 0, 0]), le32(1));
    m.update(new Uint8Array([0x18, 0, 0, 0, 0xc0, 0xa8, 1, 0]), le32(2));
    // bpftool v7.1 on kernel 6.18 printed these two entries in this order for the same updates.
    expect(m.dump()).toEqual([
      { key: ['0x18', '0x00', '0x00', '0x00', '0xc0', '0xa8', '0x01', '0x00'], value: ['0x02', '0x00', '0x00', '0x00'] },
      { key: ['0x12', '0x00', '0x00', '0x00', '0xc0', '0xa8', '0x00', '0x00'], value: ['0x01', '0x00', '0x00', '0x00'] },
    ]);
  });
});

describe('LPM trie batches', () => {
  it('updates, looks up and deletes in batches over get_next_key', () => {
    const m = trie();
    const keys = new Uint8Array([...v4('10.0.0.0', 8), ...v4('10.1.0.0', 16), ...v4('172.16.0.0', 12)]);
    expect(m.updateBatch(keys, new Uint8Array([...le32(1), ...le32(2), ...le32(3)]))).toBe(3);
    const r = m.lookupBatch(null, 8);
    expect(r.count).toBe(3);
    expect(r.end).toBe(true);
    expect([0, 1, 2].map((i) => keyText(r.keys.subarray(i * 8, i * 8 + 8)))).toEqual(['10.1.0.0/16', '10.0.0.0/8', '172.16.0.0/12']);
    expect(m.deleteBatch(keys.subarray(0, 16))).toBe(2);
    expect([...m.keys()].map(keyText)).toEqual(['172.16.0.0/12']);
  });
});

describe('LPM trie from programs', () => {
  it('looks up, updates and deletes through the helpers, with a view of the matched value', () => {
    const m = example();
    const v = bpf_map_lookup_elem(m, v4('192.168.1.77', 32))!;
    expect(v.getU32(0)).toBe(5);
    v.setU32(0, 55);
    expect(u32Of(m.lookup(v4('192.168.1.0', 24)))).toBe(55);
    expect(bpf_map_update_elem(m, v4('10.0.0.0', 8), le32(7), BPF_ANY)).toBe(0);
    expect(bpf_map_delete_elem(m, v4('10.0.0.0', 8))).toBe(0);
    expect(bpf_map_delete_elem(m, v4('10.0.0.0', 8))).toBe(-2);
    expect(bpf_map_lookup_elem(m, v4('10.0.0.1', 32))).toBeNull();
  });

  it('takes a number for an 8-byte key: prefixlen in the low word, the address bytes in the high one', () => {
    const m = trie();
    m.update(v4('10.1.2.0', 24), le32(7));
    // 10.1.2.0/32 as little-endian bytes 20 00 00 00 0a 01 02 00 (exact as a number: below 2^53).
    const key = 32 + 0x0002010a * 2 ** 32;
    expect(bpf_map_lookup_elem(m, key)!.getU32(0)).toBe(7);
  });

  it('keeps a replaced value readable in a view taken before the replacement (the old node waits in quarantine)', () => {
    const m = trie();
    m.update(v4('10.0.0.0', 8), le32(1));
    const old = bpf_map_lookup_elem(m, v4('10.0.0.1', 32))!;
    for (let i = 0; i < QUARANTINE; i++) m.update(v4('10.0.0.0', 8), le32(100 + i));
    expect(old.getU32(0)).toBe(1);
    expect(bpf_map_lookup_elem(m, v4('10.0.0.1', 32))!.getU32(0)).toBe(100 + QUARANTINE - 1);
  });

  it('fails an update with ENOMEM once its node pool is used up', () => {
    // A value near the limit: the 256 MiB pool holds 63 nodes of 4 MiB and a bit.
    const m = createMap({ type: 'lpm_trie', keySize: 8, valueSize: LPM_VAL_SIZE_MAX, maxEntries: 1000, flags: BPF_F_NO_PREALLOC }, { cpus: 1 });
    const pool = lpmStats(m).poolNodes;
    const v = new Uint8Array(LPM_VAL_SIZE_MAX);
    let err = 'ok';
    let n = 0;
    for (; n < 1000 && err === 'ok'; n++) err = errnoOf(() => m.update(v4(`10.0.${n >> 8}.${n & 255}`, 32), v));
    expect(err).toBe('ENOMEM');
    // Every node is a leaf or an intermediate node: the pool ran out at about half as many prefixes.
    expect(n).toBeLessThan(pool);
  });
});

describe('LPM trie in a shared map memory', () => {
  it('works the same at a region offset inside an object\'s memory', () => {
    const mem = new MapMemory(1 << 20);
    mem.alloc(1000);
    const m = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 8, flags: BPF_F_NO_PREALLOC }, { cpus: 2, memory: mem });
    expect(m.getHandle().regions[1]!.byteOffset).toBeGreaterThan(0);
    m.update(v4('192.168.0.0', 16), le32(1));
    m.update(v4('192.168.1.0', 24), le32(5));
    expect(u32Of(m.lookup(v4('192.168.1.9', 32)))).toBe(5);
    expect(bpf_map_lookup_elem(m, v4('192.168.7.1', 32))!.getU32(0)).toBe(1);
  });
});
