// The side under test: our runtime. Counters and map operations run as handlers on simulated CPUs
// (worker threads); user-space calls run in the coordinator, shaped as libbpf's calls are (the
// caller's key and value buffers, no copy handed back), so they compare with bpf(2) call for call.

import { availableParallelism } from 'node:os';

import { mapOpsFor } from '../../maps/bpf-types.js';
import { ringBuffer } from '../../maps/ringbuf.js';
import { createMap, type BpfMap } from '../../maps/syscall.js';
import { MAP_TYPE_NAMES } from '../../maps/uapi.js';
import { readCounter } from '../../workloads/race/index.js';
import type { CounterCell, MapCell, UserCell } from '../cells.js';
import { INNER_MAPS, KEYS, perfPages, routeKey } from '../programs/map-ops.js';
import { perfBuffer } from '../../maps/perf-buffer.js';
import { PAGE_SIZE } from '../../maps/perf-event.js';
import type { LoadedProgram } from '../../cpu/runtime.js';
import { RuntimeSubject, SyncSubject, type LoadedMaps, type Subject } from '../subjects.js';
import { rowFor, type RowPlan, type SideProvider } from './side.js';
import { siblingModule } from '../../cpu/module-url.js';

/** A program module of ../programs/. */
const program = (name: string) => siblingModule(import.meta.url, `../programs/${name}`);

function missing(type: string): string | null {
  const id = (MAP_TYPE_NAMES as Record<string, number>)[type];
  return id !== undefined && mapOpsFor(id) ? null : `not measured: ${type} maps are not implemented yet (no ops registered in src/maps/bpf-types.ts)`;
}

/** Counters: read the count, zero it, return the updates lost. */
function counterAfter() {
  let zero: Uint8Array | null = null;
  return (prog: LoadedMaps, events: number): number => {
    const c = prog.maps.counter!;
    zero ??= new Uint8Array(c.userValueSize);
    const { observed } = readCounter(c);
    c.update(0, zero);
    return events - observed;
  };
}

function counterSubject(c: CounterCell): Subject {
  return new RuntimeSubject({ module: c.module, probe: 'kprobe/sys_clone', cpus: c.cpus, spinLock: c.spinLock, after: counterAfter() });
}

function mapSubject(c: MapCell): Subject | string {
  const why = missing(c.map);
  if (why) return why;
  const module = program(`ops-${c.map.replace(/_/g, '-')}`);
  const probe = `kprobe/${c.op}`;
  const hashLike = c.map === 'hash' || c.map === 'percpu_hash' || c.map === 'lru_hash' || c.map === 'lru_percpu_hash';
  if (c.map === 'bloom_filter') {
    // Test membership against a filled set.
    const fill = (prog: LoadedMaps) => {
      const v = new Uint8Array(4);
      for (let k = 0; k < KEYS; k++) { new DataView(v.buffer).setUint32(0, k, true); prog.maps.bf!.update(null, v); }
    };
    return new RuntimeSubject({ module, probe, cpus: c.cpus, setup: c.op === 'peek' ? fill : undefined });
  }
  const setup = (prog: LoadedMaps) => {
    const m = prog.maps.m;
    if (m && hashLike) {
      const value = new Uint8Array(m.userValueSize);
      for (let k = 0; k < KEYS; k++) m.update(k, value);
    }
  };
  if (c.map === 'lpm_trie') {
    // KEYS /24 routes; lookups find each /32 address's route, updates replace a route.
    const fill = (prog: LoadedMaps) => {
      const value = new Uint8Array(prog.maps.m!.attr.valueSize);
      for (let k = 0; k < KEYS; k++) prog.maps.m!.update(routeKey(k, 24), value);
    };
    return new RuntimeSubject({ module, probe, cpus: c.cpus, setup: fill });
  }
  if (c.map === 'prog_array') {
    return new RuntimeSubject({ module, probe, cpus: c.cpus, setup: (prog) => prog.maps.m!.update(0, (prog as LoadedProgram).programs['kprobe/target']!) });
  }
  if (c.map === 'array_of_maps' || c.map === 'hash_of_maps') {
    const place = (prog: LoadedMaps) => {
      for (let i = 0; i < INNER_MAPS; i++) prog.maps.m!.update(i, createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: KEYS, name: `inner${i}` }, { cpus: c.cpus }));
    };
    return new RuntimeSubject({ module, probe, cpus: c.cpus, setup: place });
  }
  if (c.map === 'perf_event_array') {
    // The coordinator reads every CPU's ring while the CPUs write; samples it never got are lost.
    let consumed = 0;
    const count = () => { consumed++; };
    return new RuntimeSubject({
      module, probe, cpus: c.cpus,
      during: (prog) => {
        // 1 MiB of rings in all, as the ring buffer row's one ring; the reader is woken per half
        // ring written (a watermark), as the kernel column's loader opens its events (loader.c).
        const pages = perfPages(c.cpus);
        const pb = perfBuffer(prog.maps.m!, { pageCount: pages, wakeupWatermark: (pages * PAGE_SIZE) / 2 });
        consumed = 0;
        let end!: () => void;
        const ended = new Promise<void>((resolve) => { end = resolve; });
        const loop = pb.consumeUntil(ended, count, undefined, 20);
        return async () => {
          end();
          await loop;
          pb.close();
        };
      },
      after: (_prog, events) => events - consumed,
    });
  }
  if (c.map !== 'ringbuf') return new RuntimeSubject({ module, probe, cpus: c.cpus, setup });
  // The coordinator consumes while the CPUs produce (as libbpf's ring_buffer__poll loop does);
  // records it never got (dropped for want of room) are counted as lost.
  let consumed = 0;
  const count = () => { consumed++; };
  return new RuntimeSubject({
    module, probe, cpus: c.cpus, setup,
    during: (prog) => {
      const rb = ringBuffer(prog.maps.rb!);
      consumed = 0;
      let end!: () => void;
      const ended = new Promise<void>((resolve) => { end = resolve; });
      const loop = rb.consumeUntil(ended, count, 20);
      return async () => {
        end();
        await loop;
      };
    },
    after: (_prog, events) => events - consumed,
  });
}

/** The map of a user-space cell, created and filled as the kernel's driver fills its own. */
function userMap(c: UserCell): BpfMap {
  const m = createMap({ type: c.map, keySize: 4, valueSize: 8, maxEntries: c.entries, name: 'user' }, { cpus: c.cpus || 2 });
  if (c.map === 'hash' || c.map === 'percpu_hash') {
    const value = new Uint8Array(m.userValueSize);
    for (let k = 0; k < c.entries; k++) {
      value[0] = k & 0xff;
      m.update(k, value);
    }
  }
  return m;
}

function userSubject(c: UserCell): Subject | string {
  const why = missing(c.map);
  if (why) return why;
  const m = userMap(c);
  const mask = c.entries - 1;
  const value = new Uint8Array(m.userValueSize);
  // `bench --against` runs this harness on older revisions too, whose maps may predate the calls
  // into the caller's buffers: fall back to the allocating calls there.
  const lookupInto: (k: Uint8Array | number, out: Uint8Array) => unknown = typeof m.lookupInto === 'function' ? (k, out) => m.lookupInto(k, out) : (k) => m.lookup(k);
  const getNextKeyInto: (k: Uint8Array | null, next: Uint8Array) => Uint8Array = typeof m.getNextKeyInto === 'function'
    ? (k, next) => m.getNextKeyInto(k, next) : (k, next) => { next.set(m.getNextKey(k)); return next; };
  const key = new Uint8Array(4);
  const keyWord = new Uint32Array(key.buffer);
  let i = 0;
  switch (c.op) {
    case 'lookup':
      return new SyncSubject(() => { lookupInto((i++ & mask) >>> 0, value); });
    case 'update':
      return new SyncSubject(() => { m.update((i++ & mask) >>> 0, value); });
    case 'delete':
      return new SyncSubject(() => {
        const k = (i++ & mask) >>> 0;
        m.delete(k);
        m.update(k, value);
      });
    case 'get_next_key': {
      const next = new Uint8Array(4);
      return new SyncSubject(() => {
        keyWord[0] = i++ & mask;
        try {
          getNextKeyInto(key, next);
        } catch {
          // the last key: ENOENT, as the kernel's
        }
      });
    }
    case 'lookup-sum': {
      let sink = 0;
      return new SyncSubject(() => { sink += m.sum(0); }, 1, () => { if (sink < 0) throw new Error('unreachable'); });
    }
    case 'lookup-batch':
      return new SyncSubject(() => {
        const r = m.lookupBatch(null, c.entries);
        if (r.count !== c.entries) throw new Error(`the batch lookup saw ${r.count} entries of ${c.entries}`);
      }, c.entries);
    case 'dump': {
      // get_next_key + lookup into the caller's buffers, as a C loop over bpf(2) does.
      const keys = [new Uint8Array(4), new Uint8Array(4)];
      return new SyncSubject(() => {
        let n = 0;
        let prev: Uint8Array | null = null;
        for (;;) {
          const next = keys[n & 1]!;
          try {
            getNextKeyInto(prev, next);
          } catch {
            break;
          }
          lookupInto(next, value);
          prev = next;
          n++;
        }
        if (n !== c.entries) throw new Error(`the dump saw ${n} entries of ${c.entries}`);
      }, c.entries);
    }
  }
}

export const oursSide: SideProvider = {
  side: 'ours',
  rows(cell) {
    const cores = availableParallelism();
    const plan = (make: () => Subject | string): RowPlan[] => [{ row: rowFor('ours', cell, cores), counter: cell.kind === 'counter', make: async () => make() }];
    switch (cell.kind) {
      case 'counter': return plan(() => counterSubject(cell));
      case 'map': return plan(() => mapSubject(cell));
      case 'user': return plan(() => userSubject(cell));
    }
  },
};
