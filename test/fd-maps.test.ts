import { describe, expect, it } from 'vitest';
import { createMap, BpfError, formatDump, type BpfMap } from '../src/index.js';
import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_update_elem } from '../src/maps/helpers.js';
import { idrAdd, idrAlloc, type BpfProg } from '../src/maps/idr.js';
import { FD_ARRAY_SLOTS } from '../src/maps/fd-array.js';
import { MapMemory } from '../src/maps/memory.js';
import { openPerfEvent } from '../src/maps/perf-event.js';
import { BPF_F_INNER_MAP, BPF_F_RDONLY, BPF_F_ZERO_SEED, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_RAW_TRACEPOINT } from '../src/maps/uapi.js';
import { errnoOf, le32 } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// Program helpers run on a CPU: this thread plays CPU 0.
setSmpProcessorId(0);

// Maps whose values are objects: the kernel takes an fd where we take the object's id.

const u32Of = (b: Uint8Array): number => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
const array = (maxEntries = 4, extra: object = {}): BpfMap => createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries, ...extra }, { cpus: 2 });

function prog(type = BPF_PROG_TYPE_RAW_TRACEPOINT, ret = 0): BpfProg {
  const p: BpfProg = { id: idrAlloc(), type, name: `ret${ret}`, run: () => ret };
  idrAdd(p.id, 'prog', p);
  return p;
}

describe('map ids', () => {
  it('gives every created map an id of its own, reported by info()', () => {
    const a = array();
    const b = array();
    expect(a.id).toBeGreaterThan(0);
    expect(b.id).not.toBe(a.id);
    expect(a.info().id).toBe(a.id);
    expect(a.getHandle().id).toBe(a.id);
  });
});

describe('PROG_ARRAY from user space', () => {
  const progArray = (): BpfMap => createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'jmp' }, { cpus: 2 });

  it('takes a program by id (or as the object) and reads its id back', () => {
    const m = progArray();
    const p = prog();
    m.update(0, le32(p.id));
    m.update(1, p);
    expect(u32Of(m.lookup(0))).toBe(p.id);
    expect(u32Of(m.lookup(1))).toBe(p.id);
    expect(errnoOf(() => m.lookup(2))).toBe('ENOENT');
  });

  it('refuses an id of no object with EBADF and a map with EINVAL, as the kernel does fds', () => {
    const m = progArray();
    expect(errnoOf(() => m.update(0, le32(0x7fffffff)))).toBe('EBADF');
    expect(errnoOf(() => m.update(0, array()))).toBe('EINVAL');
  });

  it('takes BPF_ANY only, and indexes below max_entries', () => {
    const m = progArray();
    expect(errnoOf(() => m.update(0, prog(), 1))).toBe('EINVAL');
    expect(errnoOf(() => m.update(4, prog()))).toBe('E2BIG');
  });

  it('holds programs of one type: the first one placed decides', () => {
    const m = progArray();
    m.update(0, prog(BPF_PROG_TYPE_RAW_TRACEPOINT));
    expect(errnoOf(() => m.update(1, prog(BPF_PROG_TYPE_KPROBE)))).toBe('EINVAL');
  });

  it('deletes with ENOENT for an empty slot and E2BIG past the end, and has no batches', () => {
    const m = progArray();
    m.update(2, prog());
    expect(errnoOf(() => m.delete(2))).toBe('ok');
    expect(errnoOf(() => m.delete(2))).toBe('ENOENT');
    expect(errnoOf(() => m.delete(4))).toBe('E2BIG');
    expect(errnoOf(() => m.lookupBatch(null, 4))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.lookupAndDelete(0))).toBe('ENOTSUPP');
  });

  it('is refused to programs except through bpf_tail_call, in the verifier\'s words', () => {
    const m = progArray();
    expect(() => bpf_map_lookup_elem(m, 0)).toThrow(/cannot pass map_type 3 into func bpf_map_lookup_elem#1/);
    expect(() => bpf_map_update_elem(m, 0, le32(1), 0)).toThrow(/cannot pass map_type 3 into func bpf_map_update_elem#2/);
    expect(() => bpf_map_delete_elem(m, 0)).toThrow(/bpf_tail_call only/);
  });

  it('dumps the programs\' ids and skips empty slots, as bpftool does', () => {
    const m = progArray();
    const p = prog();
    m.update(1, p);
    const id = [p.id & 0xff, (p.id >>> 8) & 0xff, (p.id >>> 16) & 0xff, p.id >>> 24].map((x) => '0x' + x.toString(16).padStart(2, '0'));
    expect(m.dump()).toEqual([{ key: ['0x01', '0x00', '0x00', '0x00'], value: id }]);
    expect(formatDump(m.dump())).toMatch(/^key: 01 00 00 00  value: .. .. .. ..\nFound 1 element$/);
  });

  it('keeps each slot as a u32 id at the region offset + FD_ARRAY_SLOTS + 4 x index, for translated programs', () => {
    const mem = new MapMemory(1 << 16);
    const m = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 2, memory: mem });
    const p = prog();
    m.update(3, p);
    const r = m.getHandle().regions[0]!;
    expect(new DataView(mem.buffer).getUint32(r.byteOffset + FD_ARRAY_SLOTS + 12, true)).toBe(p.id);
  });
});

describe('PERF_EVENT_ARRAY from user space', () => {
  const perfArray = (): BpfMap => createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2, name: 'events' }, { cpus: 2 });

  it('takes perf events, refuses anything else with EBADF (no perf event file), and reads nothing back', () => {
    const m = perfArray();
    expect(errnoOf(() => m.update(0, openPerfEvent({ cpu: 0, pages: 1 })))).toBe('ok');
    expect(errnoOf(() => m.update(1, array()))).toBe('EBADF');
    expect(errnoOf(() => m.update(1, prog()))).toBe('EBADF');
    expect(errnoOf(() => m.lookup(0))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.lookup(9))).toBe('ENOTSUPP');
  });

  it('dumps each slot with its lookup error, counting none, as bpftool does', () => {
    const m = perfArray();
    expect(m.dump()).toEqual([
      { key: ['0x00', '0x00', '0x00', '0x00'], value: { error: 'Unknown error 524' } },
      { key: ['0x01', '0x00', '0x00', '0x00'], value: { error: 'Unknown error 524' } },
    ]);
    // bpftool v7.1 printed this for the same map on kernel 6.18.
    expect(formatDump(m.dump())).toBe('key:\n00 00 00 00\nvalue:\nUnknown error 524\nkey:\n01 00 00 00\nvalue:\nUnknown error 524\nFound 0 elements');
  });
});

describe('ARRAY_OF_MAPS', () => {
  it('needs an inner map template: none is EINVAL, a prog array ENOTSUPP, a map of maps EINVAL', () => {
    const spec = { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2 } as const;
    expect(errnoOf(() => createMap(spec))).toBe('EINVAL');
    expect(errnoOf(() => createMap({ ...spec, innerMap: createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 }) }))).toBe('ENOTSUPP');
    const outer = createMap({ ...spec, innerMap: array() });
    expect(errnoOf(() => createMap({ ...spec, innerMap: outer }))).toBe('EINVAL');
  });

  it('takes a template as a spec too (libbpf creates it from the BTF)', () => {
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 } }, { cpus: 2 });
    expect(errnoOf(() => outer.update(0, array(4)))).toBe('ok');
    expect(errnoOf(() => outer.update(0, array(8)))).toBe('EINVAL');
  });

  it('takes maps like the template, max_entries included unless the template has BPF_F_INNER_MAP', () => {
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: array(4) }, { cpus: 2 });
    expect(errnoOf(() => outer.update(0, array(8)))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(0, createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(0, createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(0, array(4, { flags: BPF_F_RDONLY })))).toBe('ok');
    const any = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: array(1, { flags: BPF_F_INNER_MAP }) }, { cpus: 2 });
    expect(errnoOf(() => any.update(0, array(100, { flags: BPF_F_INNER_MAP })))).toBe('ok');
    expect(errnoOf(() => any.update(1, array(100)))).toBe('EINVAL');
  });

  it('gives a program the inner map itself, to use with the map helpers', () => {
    const inner = array();
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner }, { cpus: 2 });
    outer.update(1, inner);
    expect(u32Of(outer.lookup(1))).toBe(inner.id);
    const got = bpf_map_lookup_elem(outer, 1) as unknown as BpfMap;
    expect(got).toBe(inner);
    bpf_map_update_elem(got, 2, le32(99), 0);
    expect(u32Of(inner.lookup(2))).toBe(99);
    expect(bpf_map_lookup_elem(outer, 0)).toBeNull();
    expect(bpf_map_lookup_elem(outer, 5)).toBeNull();
  });

  it('lets a program keep using an inner map it looked up after the slot is emptied or replaced (the kernel\'s RCU)', () => {
    const a = array();
    const b = array();
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: a }, { cpus: 2 });
    outer.update(0, a);
    const held = bpf_map_lookup_elem(outer, 0) as unknown as BpfMap;
    outer.update(0, b);
    bpf_map_update_elem(held, 0, le32(7), 0);
    expect(u32Of(a.lookup(0))).toBe(7);
    expect(bpf_map_lookup_elem(outer, 0) as unknown).toBe(b);
    outer.delete(0);
    expect(bpf_map_lookup_elem(held, 0)!.getU32(0)).toBe(7);
    expect(bpf_map_lookup_elem(outer, 0)).toBeNull();
  });

  it('refuses program updates and deletes of the outer map', () => {
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: array() }, { cpus: 2 });
    expect(() => bpf_map_update_elem(outer, 0, le32(1), 0)).toThrow(BpfError);
    expect(() => bpf_map_delete_elem(outer, 0)).toThrow(/cannot pass map_type 12/);
  });
});

describe('HASH_OF_MAPS', () => {
  it('places inner maps under hash keys with the hash\'s flags, and gives programs the inner map', () => {
    const t = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 2 });
    const outer = createMap({ type: 'hash_of_maps', keySize: 8, valueSize: 4, maxEntries: 2, innerMap: t, flags: BPF_F_ZERO_SEED }, { cpus: 2 });
    const h = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 99 }, { cpus: 2 });
    expect(errnoOf(() => outer.update(7, h, 2))).toBe('ENOENT');
    expect(errnoOf(() => outer.update(7, h, 1))).toBe('ok');
    expect(errnoOf(() => outer.update(7, h, 1))).toBe('EEXIST');
    expect(errnoOf(() => outer.update(8, t))).toBe('ok');
    expect(errnoOf(() => outer.update(9, t))).toBe('E2BIG');
    expect(u32Of(outer.lookup(7))).toBe(h.id);
    expect(bpf_map_lookup_elem(outer, 7) as unknown).toBe(h);
    expect(errnoOf(() => outer.lookupAndDelete(7))).toBe('ENOTSUPP');
    expect(errnoOf(() => outer.update(7, le32(0x7fffffff)))).toBe('EBADF');
  });

  it('gives a program the slot\'s current inner map after a replace, a delete and a re-add, and keeps the one it held usable', () => {
    const a = array();
    const b = array();
    const outer = createMap({ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: a }, { cpus: 2 });
    outer.update(3, a);
    const held = bpf_map_lookup_elem(outer, 3) as unknown as BpfMap;
    expect(held).toBe(a);
    outer.update(3, b);
    expect(bpf_map_lookup_elem(outer, 3) as unknown).toBe(b);
    bpf_map_update_elem(held, 0, le32(7), 0);
    expect(u32Of(a.lookup(0))).toBe(7);
    outer.delete(3);
    expect(bpf_map_lookup_elem(outer, 3)).toBeNull();
    // Another key takes the freed element with another map, then the key comes back with the first.
    outer.update(4, b);
    expect(bpf_map_lookup_elem(outer, 4) as unknown).toBe(b);
    outer.update(3, a);
    expect(bpf_map_lookup_elem(outer, 3) as unknown).toBe(a);
    expect(bpf_map_lookup_elem(held, 0)!.getU32(0)).toBe(7);
  });

  it('finds an inner map looked up before, and since detached, as it found it before the cache', () => {
    const a = array();
    const outer = createMap({ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: a }, { cpus: 2 });
    outer.update(1, a);
    expect(bpf_map_lookup_elem(outer, 1) as unknown).toBe(a);
    a.detach();
    expect(bpf_map_lookup_elem(outer, 1) as unknown).toBe(a);
  });
});

describe('bad input to the new families gets a clear error', () => {
  it('refuses an inner map template that is neither a map nor a spec', () => {
    const e = (() => { try { createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: 7 as never }); } catch (x) { return x as BpfError; } return null; })();
    expect(e).toBeInstanceOf(BpfError);
    expect(e!.message).toContain('spec.innerMap must be a map or a map spec');
  });

  it('refuses a perf event on no CPU number, and a wakeup count that is no u32', () => {
    expect(() => openPerfEvent({ cpu: -1 })).toThrow(/cpu must be a CPU number/);
    expect(() => openPerfEvent({ cpu: 0, wakeupEvents: 1.5 })).toThrow(/wakeupEvents must be a u32/);
  });
});
