// Program helpers run on a CPU: inside a handler, or in the coordinator inside runtime.runOn(cpu, fn).
// Called from user space anywhere else (as a libbpf user might write bpf_map_update_elem), they
// throw NotOnCpuError saying so, instead of silently acting as CPU 0.
import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, NotOnCpuError, Runtime, bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_get_smp_processor_id, bpf_ktime_get_ns,
  bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_lookup_percpu_elem, bpf_map_peek_elem, bpf_map_pop_elem, bpf_map_push_elem,
  bpf_map_update_elem, bpf_ringbuf_output, bpf_ringbuf_query, bpf_ringbuf_reserve, bpf_trace_printk, createMap,
} from '../src/index.js';

const cpus = { cpus: 2 };
const array = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'arr' }, cpus);
const pcpu = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'pcpu' }, cpus);
const hash = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'counts' }, cpus);
const queue = createMap({ type: 'queue', keySize: 0, valueSize: 8, maxEntries: 4, name: 'q' }, cpus);
const ring = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'events' }, cpus);
const value = new Uint8Array(8);

const CALLS: [string, () => unknown][] = [
  ['bpf_map_lookup_elem on an array', () => bpf_map_lookup_elem(array, 0)],
  ['bpf_map_lookup_elem on a per-CPU array', () => bpf_map_lookup_elem(pcpu, 1)],
  ['bpf_map_lookup_elem on a hash', () => bpf_map_lookup_elem(hash, 1)],
  ['bpf_map_update_elem', () => bpf_map_update_elem(hash, 1, value, BPF_ANY)],
  ['bpf_map_delete_elem', () => bpf_map_delete_elem(hash, 1)],
  ['bpf_map_lookup_percpu_elem', () => bpf_map_lookup_percpu_elem(pcpu, 0, 1)],
  ['bpf_map_push_elem', () => bpf_map_push_elem(queue, value, 0)],
  ['bpf_map_pop_elem', () => bpf_map_pop_elem(queue, value)],
  ['bpf_map_peek_elem', () => bpf_map_peek_elem(queue, value)],
  ['bpf_ringbuf_reserve', () => bpf_ringbuf_reserve(ring, 8, 0)],
  ['bpf_ringbuf_output', () => bpf_ringbuf_output(ring, value, 0)],
  ['bpf_ringbuf_query', () => bpf_ringbuf_query(ring, 0)],
  ['bpf_get_smp_processor_id', () => bpf_get_smp_processor_id()],
  ['bpf_get_current_pid_tgid', () => bpf_get_current_pid_tgid()],
  ['bpf_get_current_comm', () => bpf_get_current_comm()],
  ['bpf_ktime_get_ns', () => bpf_ktime_get_ns()],
  ['bpf_trace_printk', () => bpf_trace_printk('hello')],
];

describe('a program helper called from user space, outside runtime.runOn', () => {
  it.each(CALLS)('%s throws NotOnCpuError naming the helper and the way out', (label, call) => {
    const helper = label.split(' ')[0]!;
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NotOnCpuError);
    expect((err as Error).message).toMatch(new RegExp(`^${helper}(?: on map '\\w+')?: program helpers run on a CPU, in a handler or inside runtime\\.runOn\\(cpu, fn\\); ` +
      'user space reads and writes maps with their own methods \\(map\\.lookup\\(\\), map\\.update\\(\\), map\\.delete\\(\\), ringBuffer\\(map\\)\\.consume\\(\\)\\)$'));
  });

  it('changes nothing: the hash stays empty and the array element stays zero', () => {
    expect([...hash.keys()]).toEqual([]);
    expect(array.lookup(0)).toEqual(new Uint8Array(8));
  });
});

describe('the same helpers inside runtime.runOn', () => {
  it('act on the chosen CPU, and throw again once runOn has returned', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, name: 'm' }, { cpus: 2 });
      expect(rt.runOn(1, () => { bpf_map_lookup_elem(m, 0)!.setU32(0, 7); return bpf_get_smp_processor_id(); })).toBe(1);
      expect(m.lookupPerCpu(0).map((b) => b[0])).toEqual([0, 7]);
      expect(() => bpf_map_lookup_elem(m, 0)).toThrow(NotOnCpuError);
    } finally {
      await rt.close();
    }
  });
});
