// Real eBPF objects on our runtime: the kernel column's own objects (counters.bpf.c and
// map-ops.bpf.c, built by clang as the kernel reference builds them), loaded with loadObject,
// translated to WebAssembly and run on simulated CPUs, one program by name, as BPF_PROG_TEST_RUN
// runs it in the kernel column. The same bytecode on both sides: object / kernel compares the
// runtimes, ours / object the TypeScript handler with the C program doing the same job.

import { availableParallelism } from 'node:os';
import type { CounterCell, MapCell } from '../cells.js';
import { buildKernelReference, KERNEL_PROGRAMS, type KernelBuild } from '../kernel.js';
import { KEYS, NO_KERNEL_PROGRAM, NO_KERNEL_PROGRAM_WHY } from '../programs/map-ops.js';
import { RuntimeSubject, type LoadedMaps, type Subject } from '../subjects.js';
import { readCounter } from '../../workloads/race/index.js';
import { ringBuffer } from '../../maps/ringbuf.js';
import { rowFor, type RowPlan, type SideEnv, type SideProvider } from './side.js';

/** The objects, built once per run (clang; "not measured" and why without it). */
function objectsOf(env: SideEnv): Promise<KernelBuild | string> {
  return env.shared('object-build', async () => {
    const build = await buildKernelReference(env.kernelHook);
    env.tools('object', build.tools.replace(/, libbpf.*/, ''));
    return build;
  }, async () => {});
}

const objectNamed = (build: KernelBuild, name: string) => build.objects.find((o) => o.includes(`/${name}-`))!;

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
      module: { object: objectNamed(build, 'counters'), program: c.kernel, options: slabAlign ? { slabAlign } : {} },
      probe: '', cpus: c.cpus, spinLock: c.spinLock, after: counterAfter(KERNEL_PROGRAMS[c.kernel]),
    });
  };
}

function mapMake(c: MapCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    if (NO_KERNEL_PROGRAM.has(c.map)) return NO_KERNEL_PROGRAM_WHY;
    const build = await objectsOf(env);
    if (typeof build === 'string') return build;
    const hashLike = c.map === 'hash' || c.map === 'percpu_hash' || c.map === 'lru_hash' || c.map === 'lru_percpu_hash';
    // The maps filled as the kernel column's loader fills them: every key of a hash, every value of the bloom filter.
    const setup = (prog: LoadedMaps) => {
      const m = prog.maps[c.map]!;
      if (hashLike && c.op !== 'evict') {
        const value = new Uint8Array(m.userValueSize);
        for (let k = 0; k < KEYS; k++) m.update(k, value);
      } else if (c.map === 'bloom_filter' && c.op === 'peek') {
        const v = new Uint8Array(8);
        for (let k = 0; k < KEYS; k++) { new DataView(v.buffer).setUint32(0, k, true); m.update(null, v); }
      }
    };
    const module = { object: objectNamed(build, 'map-ops'), program: `${c.map}_${c.op}` };
    if (c.map !== 'ringbuf') return new RuntimeSubject({ module, probe: '', cpus: c.cpus, setup });
    // The coordinator consumes while the CPUs produce; records never consumed (dropped) are lost.
    let consumed = 0;
    const count = () => { consumed++; };
    return new RuntimeSubject({
      module, probe: '', cpus: c.cpus, setup,
      during: (prog) => {
        const rb = ringBuffer(prog.maps.ringbuf!);
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
