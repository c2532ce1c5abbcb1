// Real eBPF objects on our runtime: the kernel column's own objects (counters.bpf.c, map-ops.bpf.c
// and map-ops-of-maps.bpf.c, built by clang as the kernel reference builds them), loaded with
// loadObject, translated to WebAssembly and run on simulated CPUs, one program by name, as
// BPF_PROG_TEST_RUN runs it in the kernel column, after the same setup as the kernel's loader
// (kernelMapRow: fills, placements, a consumer). The same bytecode on both sides: object / kernel
// compares the runtimes, ours / object the TypeScript handler with the C program doing the same job.
//
// A row whose object or program our loader cannot run yet (a map type it cannot create, a helper
// or a tail call it cannot translate) says "not measured" with the loader's own error; the other
// rows go on.

import { availableParallelism } from 'node:os';
import type { CounterCell, MapCell } from '../cells.js';
import { buildKernelReference, KERNEL_PROGRAMS, kernelObject, type KernelBuild } from '../kernel.js';
import { KEYS, kernelMapRow, perfPages, routeKey } from '../programs/map-ops.js';
import { RuntimeSubject, type LoadedMaps, type Measured, type PrepareOptions, type Subject } from '../subjects.js';
import { readCounter } from '../../workloads/race/index.js';
import { ringBuffer } from '../../maps/ringbuf.js';
import { perfBuffer } from '../../maps/perf-buffer.js';
import { PAGE_SIZE } from '../../maps/perf-event.js';
import { rowFor, type RowPlan, type SideEnv, type SideProvider } from './side.js';
import { MAP_TYPE_NAMES } from '../../maps/uapi.js';
import type { LoadedObject } from '../../cpu/runtime.js';

/** The objects, built once per run (clang; "not measured" and why without it). */
function objectsOf(env: SideEnv): Promise<KernelBuild | string> {
  return env.shared('object-build', async () => {
    const build = await buildKernelReference(env.kernelHook);
    env.tools('object', build.tools.replace(/, libbpf.*/, ''));
    return build;
  }, async () => {});
}

/**
 * What our object loader and translator say when they cannot do something yet: a map type they
 * cannot create, a helper with no binding, an instruction (a tail call) they do not translate.
 */
const NOT_YET = /cannot be created|unsupported: |unknown-helper: |not supported|no id to place/;

/**
 * A subject whose preparation (load, setup, warm-up runs) our loader may refuse: the refusal
 * becomes "not measured: <the loader's error>" for this row alone; other failures stay failures.
 */
class ObjectRowSubject implements Subject {
  private readonly inner: Subject;
  private readonly program: string;

  constructor(inner: Subject, program: string) {
    this.inner = inner;
    this.program = program;
  }

  async prepare(p: PrepareOptions): Promise<void> {
    try {
      await this.inner.prepare(p);
    } catch (e) {
      const msg = (e as Error).message;
      if (!NOT_YET.test(msg)) throw e;
      throw new Error(`not measured: our object loader cannot run ${this.program} yet: ${msg.split('\n')[0]}`);
    }
  }

  sample(): Promise<Measured> { return this.inner.sample(); }
  progress(): number { return this.inner.progress(); }
  stop(): void { this.inner.stop(); }
  close(): Promise<void> { return this.inner.close(); }
}

/** The counter's map: read the count, zero it, return the updates lost. */
function counterAfter(map: string) {
  let zero: Uint8Array | null = null;
  return (prog: LoadedMaps, events: number): number => {
    const c = prog.maps[map]!;
    zero ??= new Uint8Array(c.userValueSize);
    const { observed } = readCounter(c);
    c.update(0, zero);
    return events - observed;
  };
}

function counterMake(c: CounterCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    const build = await objectsOf(env);
    if (typeof build === 'string') return build;
    const slabAlign = c.stride === 0 ? undefined : (c.stride as 8 | 64 | 128);
    return new RuntimeSubject({
      module: { object: kernelObject(build, 'counters'), program: c.kernel, options: slabAlign ? { slabAlign } : {} },
      probe: '', cpus: c.cpus, spinLock: c.spinLock, after: counterAfter(KERNEL_PROGRAMS[c.kernel]),
    });
  };
}

/** Fill a map as the kernel's loader's `fill` does: every key of a hash, every value of the bloom filter, every route of the LPM trie. */
function fill(prog: LoadedMaps, name: string): void {
  const m = prog.maps[name]!;
  if (m.attr.type === MAP_TYPE_NAMES.bloom_filter) {
    const v = new Uint8Array(4);
    for (let k = 0; k < KEYS; k++) { new DataView(v.buffer).setUint32(0, k, true); m.update(null, v); }
    return;
  }
  const value = new Uint8Array(m.userValueSize);
  if (m.attr.type === MAP_TYPE_NAMES.lpm_trie) for (let k = 0; k < KEYS; k++) m.update(routeKey(k, 24), value);
  else for (let k = 0; k < KEYS; k++) m.update(k, value);
}

/** Place a program of the object in a prog array, or one of its maps in a map of maps, as the loader's `place` does. */
function place(prog: LoadedMaps, outer: string, key: number, name: string): void {
  const m = prog.maps[outer]!;
  if (m.attr.type !== MAP_TYPE_NAMES.prog_array) {
    m.update(key, prog.maps[name]!);
    return;
  }
  const target = ((prog as LoadedObject).programs as readonly { name: string; id?: unknown }[]).find((p) => p.name === name);
  if (!target) throw new Error(`object side: no program '${name}' in the object to place in '${outer}'`);
  if (typeof target.id !== 'number') throw new Error(`loadObject gives program '${name}' no id to place in prog array '${outer}' (LoadedObject.programs has names only)`);
  m.update(key, { id: target.id });
}

function mapMake(c: MapCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    const build = await objectsOf(env);
    if (typeof build === 'string') return build;
    const k = kernelMapRow(c.map, c.op);
    const setup = (prog: LoadedMaps) => {
      if (k.fill) fill(prog, k.fill);
      for (const [outer, key, name] of k.place) place(prog, outer, key, name);
    };
    const module = { object: kernelObject(build, k.object), program: k.program };
    if (!k.consume) return new ObjectRowSubject(new RuntimeSubject({ module, probe: '', cpus: c.cpus, setup }), k.program);
    // The coordinator consumes while the CPUs produce; records never consumed (dropped) are lost.
    let consumed = 0;
    const count = () => { consumed++; };
    const during = (prog: LoadedMaps) => {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => { end = resolve; });
      consumed = 0;
      if (c.map === 'ringbuf') {
        const loop = ringBuffer(prog.maps[k.consume!]!).consumeUntil(ended, count, 20);
        return async () => {
          end();
          await loop;
        };
      }
      // The perf rings as the kernel's loader opens them: 1 MiB in all, a wakeup per half ring.
      const pages = perfPages(c.cpus);
      const pb = perfBuffer(prog.maps[k.consume!]!, { pageCount: pages, wakeupWatermark: (pages * PAGE_SIZE) / 2 });
      const loop = pb.consumeUntil(ended, count, undefined, 20);
      return async () => {
        end();
        await loop;
        pb.close();
      };
    };
    return new ObjectRowSubject(new RuntimeSubject({ module, probe: '', cpus: c.cpus, setup, during, after: (_prog, events) => events - consumed }), k.program);
  };
}

export const objectSide: SideProvider = {
  side: 'object',
  rows(cell, env) {
    const cores = availableParallelism();
    const plan = (make: () => Promise<Subject | string>, params: Record<string, string | number>): RowPlan[] => [{ row: rowFor('object', cell, cores, { params }), counter: cell.kind === 'counter', make }];
    switch (cell.kind) {
      case 'counter': return plan(counterMake(cell, env), { program: cell.kernel, hook: env.kernelHook });
      case 'map': return plan(mapMake(cell, env), { program: `${cell.map}_${cell.op}`, hook: env.kernelHook });
      case 'user': return [];
    }
  },
};
