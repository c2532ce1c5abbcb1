import { describe, expect, it } from 'vitest';
import { createMap, BpfError } from '../src/index.js';
import { MapMemory, REGION_ALIGN } from '../src/maps/memory.js';
import { mapFootprint } from '../src/maps/syscall.js';
import { bpf_map_lookup_elem, bpf_map_update_elem } from '../src/maps/helpers.js';
import { struct, u64, bpf_spin_lock } from '../src/maps/layout.js';
import { BPF_F_LOCK } from '../src/maps/uapi.js';
import { le32 } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// Maps created in one shared WebAssembly memory (a loaded object's maps): the same maps, whose
// values are also addresses in that memory.

const u32Bytes = (n: number) => le32(n);

describe('maps in a MapMemory', () => {
  it('hands out regions after the reserved NULL page, aligned and in order', () => {
    const mem = new MapMemory(4 * 65536);
    const a = mem.alloc(10)!;
    const b = mem.alloc(300)!;
    expect(a.byteOffset).toBe(4096);
    expect(b.byteOffset).toBe(4096 + REGION_ALIGN);
    expect(b.byteLength).toBe(300);
    expect(a.buffer).toBe(mem.memory.buffer);
    expect(mem.used).toBe(4096 + REGION_ALIGN + 384);
  });

  it('says null when a region does not fit, and createMap fails with ENOMEM naming the map', () => {
    const mem = new MapMemory(1);
    expect(mem.alloc(65536)).toBeNull();
    let err: unknown;
    try {
      createMap({ type: 'array', name: 'big', keySize: 4, valueSize: 8, maxEntries: 100_000 }, { cpus: 2, memory: mem });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).errno).toBe('ENOMEM');
    expect((err as BpfError).message).toContain("'big'");
  });

  it('sizes maps exactly: the footprints of several maps fit a memory of their sum', () => {
    const specs = [
      { type: 'array', keySize: 4, valueSize: 12, maxEntries: 100 },
      { type: 'percpu_hash', keySize: 8, valueSize: 8, maxEntries: 64 },
      { type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 32 },
      { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
    ] as const;
    const total = specs.reduce((s, spec) => s + mapFootprint(spec, { cpus: 4 }), 0);
    const mem = new MapMemory(total, 4096);
    for (const spec of specs) createMap(spec, { cpus: 4, memory: mem });
    expect(mem.used).toBe(4096 + total);
  });

  it('keeps every family working in a region: hash, per-CPU array, LRU, ring buffer', () => {
    const mem = new MapMemory(1 << 20);
    // A first map moves the next ones away from offset 0 of the buffer.
    createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 3 }, { cpus: 2, memory: mem });
    const h = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 }, { cpus: 2, memory: mem });
    h.update(u32Bytes(7), u32Bytes(70));
    expect([...h.lookup(u32Bytes(7))]).toEqual([...u32Bytes(70)]);
    const lru = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 1, memory: mem });
    for (let k = 0; k < 6; k++) lru.update(u32Bytes(k), u32Bytes(k));
    expect([...lru.keys()].length).toBe(4);
    const pa = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2 }, { cpus: 2, memory: mem });
    expect(pa.lookup(u32Bytes(1)).length).toBe(16);
  });

  it('gives a program-side value the address of its bytes in the memory', () => {
    // Program helpers run on a CPU (outside a runtime's runOn, the test says which).
    setSmpProcessorId(0);
    const mem = new MapMemory(1 << 16);
    const layout = struct({ cnt: u64, lock: bpf_spin_lock });
    const m = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 2, value: layout }, { cpus: 1, memory: mem });
    const v = bpf_map_lookup_elem(m, 1)!;
    v.cnt = 0x1_0000_0002;
    const addr = v._mem.offset + v._off;
    const dv = new DataView(mem.buffer);
    expect(dv.getUint32(addr, true)).toBe(2);
    expect(dv.getUint32(addr + 4, true)).toBe(1);
    expect(bpf_map_update_elem(m, 0, layout.encode({ cnt: 5 }), BPF_F_LOCK)).toBe(0);
    expect(layout.decode(m.lookup(0, BPF_F_LOCK)).cnt).toBe(5);
  });
});
