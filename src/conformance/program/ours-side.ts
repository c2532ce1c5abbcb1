// percpu-maps' side of program conformance: the scenario's object loaded into our runtime (the
// loader, the translator, the simulated CPUs), driven the way the kernel side drives the live
// kernel: BPF_PROG_TEST_RUN through Runtime.testRun on the step's CPU, races as one run of the
// program on several CPUs released together, user-space map steps through the maps' user-space
// face as that CPU (map.userCpu), dumps that leave every map as it was. A verify step is the
// kernel's to judge: percpu-maps has no verifier, so it hands the same object to the live kernel
// (--verify kernel) where there is one, and the step is skipped, never passed, where there is not.

import { BpfError } from '../../maps/errno.js';
import { roundUp8 } from '../../maps/limits.js';
import { ringBuffer } from '../../maps/ringbuf.js';
import type { BpfMap } from '../../maps/syscall.js';
import * as uapi from '../../maps/uapi.js';
import { KernelLoader, kernelAvailability, openObjectFile, rawObject, type BpfObject } from '../../object/index.js';
import { TestRunError } from '../../cpu/errors.js';
import { Runtime, type LoadedObject } from '../../cpu/runtime.js';
import { hexOf } from './bytes.js';
import { arrayContents, hashContents } from './dump.js';
import {
  isPercpuType, type ConsumeResult, type ConsumeStep, type MapContents, type MapStep, type MapStepResult, type OpenResult,
  type ProgramScenario, type RaceResult, type RaceStep, type RunResult, type RunStep, type VerifyResult, type VerifyStep,
} from './schema.js';
import { StepSkipped, type LoadedMap, type ProgramSide } from './side.js';

/** Our side for `cpus` possible CPUs: a runtime of that many simulated CPUs, started now. */
export async function oursSide(cpus: number): Promise<ProgramSide> {
  return OursProgramSide.start(cpus);
}

/** The object a scenario names, as the loader gives it (hand-assembled ones through rawObject). */
export function scenarioObject(sc: ProgramScenario): BpfObject {
  const o = sc.object;
  if (o.kind === 'elf') return openObjectFile(o.file);
  return rawObject(sc.name, o.maps.map((m) => ({ ...m, type: uapi.MAP_TYPE_NAMES[m.type] })), o.programs.map((p) => ({ name: p.name, section: p.type, insns: p.insns })));
}

export class OursProgramSide implements ProgramSide {
  readonly name = 'percpu-maps';
  readonly cpus: number;
  private readonly rt: Runtime;
  private loaded: LoadedObject | null = null;
  /** The scenario's object and its sections as loaded (a verify step hands them to the kernel). */
  private object: BpfObject | null = null;
  private sections: Record<string, Uint8Array> = {};
  private kernel: KernelLoader | null = null;
  /** The scenario's map names (global data by section) -> our maps. */
  private byName = new Map<string, BpfMap>();

  private constructor(rt: Runtime) {
    this.rt = rt;
    this.cpus = rt.cpus;
  }

  static async start(cpus: number): Promise<OursProgramSide> {
    return new OursProgramSide(await Runtime.start({ cpus, onWarning: () => {} }));
  }

  async open(sc: ProgramScenario, load: readonly string[]): Promise<{ result: OpenResult; maps: LoadedMap[] }> {
    await this.close();
    const obj = scenarioObject(sc);
    const sections: Record<string, Uint8Array> = {};
    for (const init of sc.initial) if ('bytes' in init) sections[init.map] = init.bytes;
    this.object = obj;
    this.sections = sections;
    this.loaded = await this.rt.loadObject(obj, { programs: load, sections });
    const maps: LoadedMap[] = [];
    for (const m of obj.maps) {
      const map = this.loaded.maps[m.name]!;
      // Scenarios name global data by its section, as the kernel side does.
      const name = m.kind === 'data' ? m.section : m.name;
      this.byName.set(name, map);
      const info = map.info();
      maps.push({ name, type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags });
    }
    return { result: { ok: true }, maps };
  }

  async run(step: RunStep): Promise<RunResult> {
    try {
      const r = await this.rt.testRun(step.prog, { cpu: step.cpu, data: step.data, ctx: step.ctx, repeat: step.repeat });
      const out: RunResult = { retval: r.retval };
      if (r.dataOut !== undefined) out.dataOut = hexOf(r.dataOut);
      if (r.ctxOut !== undefined) out.ctxOut = hexOf(r.ctxOut);
      return out;
    } catch (e) {
      if (e instanceof TestRunError) return { errno: e.errno };
      throw e;
    } finally {
      // bpf_trace_printk lines are not compared (the kernel's go to a machine-wide buffer); keep ours from piling up.
      this.rt.readTrace();
    }
  }

  async race(step: RaceStep, cpus: readonly number[]): Promise<RaceResult> {
    const perCpu = Array.from({ length: this.cpus }, (_, c) => (cpus.includes(c) ? step.repeat : 0));
    const r = await this.rt.run({ program: step.prog, perCpu, data: step.data });
    this.rt.readTrace();
    return { retvals: cpus.map((c) => r.perCpu[c]!.lastReturn ?? 0) };
  }

  private map(name: string): BpfMap {
    const m = this.byName.get(name);
    if (m === undefined) throw new Error(`no map '${name}' is loaded`);
    return m;
  }

  async mapStep(step: MapStep, key: Uint8Array | null, value: Uint8Array | null): Promise<MapStepResult> {
    const m = this.map(step.map);
    // Per-CPU lists (LRU, free lists) and slots are those of the step's CPU, as for a task pinned there.
    m.userCpu = step.cpu;
    const flags = step.flags ?? 0;
    const read = (bytes: Uint8Array): MapStepResult => {
      if (!isPercpuType(m.attr.type)) return { value: hexOf(bytes.subarray(0, m.attr.valueSize)) };
      const stride = roundUp8(m.attr.valueSize);
      return { values: Array.from({ length: this.cpus }, (_, c) => hexOf(bytes.subarray(c * stride, c * stride + m.attr.valueSize))) };
    };
    try {
      switch (step.op) {
        case 'update': m.update(key, value!, flags); return { ok: true };
        case 'push': m.update(null, value!, flags); return { ok: true };
        case 'lookup': return read(m.lookup(key, flags, value ?? undefined));
        case 'peek': return read(m.lookup(null, 0));
        case 'lookupAndDelete': return read(m.lookupAndDelete(key, flags));
        case 'pop': return read(m.lookupAndDelete(null, 0));
        case 'delete': m.delete(key); return { ok: true };
        case 'getNextKey': return { key: hexOf(m.getNextKey(key)) };
        case 'freeze': m.freeze(); return { ok: true };
      }
    } catch (e) {
      if (e instanceof BpfError) return { errno: e.errno };
      throw e;
    } finally {
      m.userCpu = 0;
    }
  }

  async consume(step: ConsumeStep): Promise<ConsumeResult> {
    const records: string[] = [];
    ringBuffer(this.map(step.map)).consume((s, len) => {
      records.push(hexOf(s.bytes.subarray(0, len)));
    });
    return { records };
  }

  /** Our --verify kernel: the same object (its sections as loaded) handed to the live kernel, this program alone. */
  async verify(step: VerifyStep): Promise<VerifyResult> {
    const a = await kernelAvailability();
    if (!a.ok) throw new StepSkipped(`percpu-maps has no verifier of its own; a verify step is the live kernel's (--verify kernel), and it cannot be asked here: ${a.reason}`);
    this.kernel ??= await KernelLoader.start(a.bin);
    const v = await this.kernel.verify(this.object!, { programs: [step.prog], sections: this.sections });
    return v.verdict === 'accepted' ? { verdict: 'accepted' } : { verdict: 'refused', errno: v.errno, log: v.line };
  }

  async dump(lm: LoadedMap): Promise<MapContents> {
    const m = this.map(lm.name);
    switch (lm.type) {
      case uapi.BPF_MAP_TYPE_ARRAY:
      case uapi.BPF_MAP_TYPE_PERCPU_ARRAY:
        return arrayContents(lm, Array.from({ length: lm.maxEntries }, (_, i) => m.lookup(i)), this.cpus);
      case uapi.BPF_MAP_TYPE_QUEUE:
      case uapi.BPF_MAP_TYPE_STACK: {
        // No peek past the head: pop everything and push it back in the order that rebuilds it.
        const all: Uint8Array[] = [];
        for (;;) {
          try {
            all.push(m.lookupAndDelete(null));
          } catch (e) {
            if (e instanceof BpfError && e.errno === 'ENOENT') break;
            throw e;
          }
        }
        const back = lm.type === uapi.BPF_MAP_TYPE_QUEUE ? all : [...all].reverse();
        for (const v of back) m.update(null, v, 0);
        return all.map((v) => hexOf(v));
      }
      case uapi.BPF_MAP_TYPE_RINGBUF:
        return ringBuffer(m).pending().map((r) => hexOf(r));
      default:
        return hashContents(lm, [...m.keys()].map((key) => ({ key, value: m.lookup(key) })), this.cpus);
    }
  }

  async close(): Promise<void> {
    const o = this.loaded;
    this.loaded = null;
    this.byName.clear();
    if (o !== null) await o.unload();
  }

  async stop(): Promise<void> {
    await this.close();
    await this.kernel?.stop();
    await this.rt.close();
  }
}
