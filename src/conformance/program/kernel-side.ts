// The kernel's side of program conformance: the kernel loader's libbpf helper (src/object/kernel,
// prog-helper.c) run as one long-lived process per scenario run and asked one line per step.

import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { roundUp8 } from '../../maps/limits.js';
import * as uapi from '../../maps/uapi.js';
import { buildProgHelper, ProgHelper as Helper, verifierLine } from '../../object/kernel/helper.js';
import { kernelAvailability } from '../../object/kernel/kernel.js';
import { DriverError, run } from '../bpftool.js';
import { possibleCpus } from '../env.js';
import { ScenarioError } from '../schema.js';
import { bytesOf, hexOf } from './bytes.js';
import { arrayContents, hashContents } from './dump.js';
import {
  errnoNameOf, isPercpuType, PROGRAM_TYPES, type ConsumeResult, type ConsumeStep, type MapContents, type MapStep, type MapStepResult,
  type OpenResult, type ProgramScenario, type RaceResult, type RaceStep, type RunResult, type RunStep, type VerifyResult, type VerifyStep,
} from './schema.js';
import type { LoadedMap, ProgramSide } from './side.js';

const hexArg = (b: Uint8Array | null | undefined): string => (b === null || b === undefined ? '-' : b.length === 0 ? '=' : hexOf(b));
const hexWord = (w: string | undefined): string => (w === undefined || w === '=' ? '' : w);

export { buildProgHelper, verifierLine };

/** The live kernel as a ProgramSide. */
export class KernelProgramSide implements ProgramSide {
  readonly name = 'kernel';
  readonly cpus: number;
  private readonly helper: Helper;
  private maps: LoadedMap[] = [];

  private constructor(helper: Helper, cpus: number) {
    this.helper = helper;
    this.cpus = cpus;
  }

  static async start(cpus: number, bin?: string): Promise<KernelProgramSide> {
    return new KernelProgramSide(new Helper(bin ?? (await buildProgHelper())), cpus);
  }

  async open(sc: ProgramScenario, load: readonly string[]): Promise<{ result: OpenResult; maps: LoadedMap[] }> {
    const h = this.helper;
    this.maps = [];
    const obj = sc.object;
    if (obj.kind === 'elf') {
      if (!existsSync(obj.file)) throw new ScenarioError(sc.file, 0, 'object.file', `${obj.file} does not exist (build it from its source: see test/conformance/programs/README.md)`);
      await h.must(`open ${obj.file}`);
      for (const init of sc.initial) if ('bytes' in init) await h.must(`init ${init.map} ${hexArg(init.bytes)}`);
    } else {
      await h.must('raw');
      for (const m of obj.maps) await h.must(`rawmap ${m.name} ${uapi.MAP_TYPE_NAMES[m.type]} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags}`);
      for (const p of obj.programs) await h.must(`rawprog ${p.name} ${PROGRAM_TYPES[p.type]} ${hexOf(p.insns)}`);
    }
    await h.must(`select ${load.length > 0 ? load.join(',') : '-'}`);
    const r = await h.ask('load');
    if ('errno' in r) return { result: { errno: errnoNameOf(r.errno), log: verifierLine(r.text) }, maps: [] };
    const words = await h.must('maps');
    this.maps = words.map((w) => {
      const [name, type, keySize, valueSize, maxEntries, flags] = w.split(':');
      return { name: name!, type: Number(type), keySize: Number(keySize), valueSize: Number(valueSize), maxEntries: Number(maxEntries), flags: Number(flags) };
    });
    return { result: { ok: true }, maps: this.maps };
  }

  async run(step: RunStep): Promise<RunResult> {
    const r = await this.helper.ask(`run ${step.prog} ${step.cpu} ${step.repeat ?? 0} ${hexArg(step.data)} ${hexArg(step.ctx)}`);
    if ('errno' in r) return { errno: errnoNameOf(r.errno) };
    const [retval, dataOut, ctxOut] = r.ok;
    const out: RunResult = { retval: Number(retval) };
    if (dataOut !== '-') out.dataOut = hexWord(dataOut);
    if (ctxOut !== '-') out.ctxOut = hexWord(ctxOut);
    return out;
  }

  async race(step: RaceStep, cpus: readonly number[]): Promise<RaceResult> {
    const r = await this.helper.ask(`race ${step.prog} ${cpus.join(',')} ${step.repeat} ${hexArg(step.data)}`);
    if ('errno' in r) return { errno: errnoNameOf(r.errno) };
    return { retvals: r.ok[0]!.split(',').map(Number) };
  }

  private map(name: string): LoadedMap {
    const m = this.maps.find((x) => x.name === name);
    if (!m) throw new DriverError(`no map '${name}' is loaded`);
    return m;
  }

  async mapStep(step: MapStep, key: Uint8Array | null, value: Uint8Array | null): Promise<MapStepResult> {
    const m = this.map(step.map);
    const flags = step.flags ?? 0;
    let line: string;
    switch (step.op) {
      case 'update': line = `update ${m.name} ${step.cpu} ${hexArg(key)} ${hexArg(value)} ${flags}`; break;
      case 'push': line = `update ${m.name} ${step.cpu} - ${hexArg(value)} ${flags}`; break;
      case 'lookup': line = `lookup ${m.name} ${step.cpu} ${hexArg(key)} ${flags}${value ? ` ${hexArg(value)}` : ''}`; break;
      case 'peek': line = `lookup ${m.name} ${step.cpu} - 0`; break;
      case 'lookupAndDelete': line = `lookupdelete ${m.name} ${step.cpu} ${hexArg(key)} ${flags}`; break;
      case 'pop': line = `lookupdelete ${m.name} ${step.cpu} - 0`; break;
      case 'delete': line = `delete ${m.name} ${step.cpu} ${hexArg(key)}`; break;
      case 'getNextKey': line = `getnext ${m.name} ${step.cpu} ${hexArg(key)}`; break;
      case 'freeze': line = `freeze ${m.name}`; break;
    }
    const r = await this.helper.ask(line);
    if ('errno' in r) return { errno: errnoNameOf(r.errno) };
    if (r.ok.length === 0) return { ok: true };
    const bytes = bytesOf(hexWord(r.ok[0]));
    if (step.op === 'getNextKey') return { key: hexOf(bytes) };
    if (isPercpuType(m.type)) {
      const stride = roundUp8(m.valueSize);
      return { values: Array.from({ length: this.cpus }, (_, c) => hexOf(bytes.subarray(c * stride, c * stride + m.valueSize))) };
    }
    return { value: hexOf(bytes.subarray(0, m.valueSize)) };
  }

  async consume(step: ConsumeStep): Promise<ConsumeResult> {
    const words = await this.helper.must(`consume ${this.map(step.map).name}`);
    return { records: words.map(hexWord) };
  }

  async verify(step: VerifyStep): Promise<VerifyResult> {
    const r = await this.helper.ask(`verify ${step.prog}`);
    if ('errno' in r) return { verdict: 'refused', errno: errnoNameOf(r.errno), log: verifierLine(r.text) };
    return { verdict: 'accepted' };
  }

  async dump(m: LoadedMap): Promise<MapContents> {
    const words = await this.helper.must(`dump ${m.name}`);
    switch (m.type) {
      case uapi.BPF_MAP_TYPE_ARRAY:
      case uapi.BPF_MAP_TYPE_PERCPU_ARRAY: {
        const all = bytesOf(hexWord(words[0]));
        const size = isPercpuType(m.type) ? roundUp8(m.valueSize) * this.cpus : m.valueSize;
        const values = Array.from({ length: m.maxEntries }, (_, i) => all.subarray(i * size, (i + 1) * size));
        return arrayContents(m, values, this.cpus);
      }
      case uapi.BPF_MAP_TYPE_QUEUE:
      case uapi.BPF_MAP_TYPE_STACK:
      case uapi.BPF_MAP_TYPE_RINGBUF:
        return words.map(hexWord);
      default:
        return hashContents(m, words.map((w) => {
          const [k, v] = w.split(':');
          return { key: bytesOf(hexWord(k)), value: bytesOf(hexWord(v)) };
        }), this.cpus);
    }
  }

  async close(): Promise<void> {
    await this.helper.must('close').catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.helper.stop();
  }
}

// ---- can this machine play the kernel side? --------------------------------------------------------

export interface ProgramKernelEnv {
  kernel: string;
  cpus: number;
  libbpf: string;
  helperBin: string;
}

export type ProgramProbe = { ok: true; env: ProgramKernelEnv } | { ok: false; reason: string };

let cachedProbe: Promise<ProgramProbe> | null = null;

/** Probe once per process: Linux, the helper builds, and the kernel loads and test-runs a program. */
export function probeProgramKernel(): Promise<ProgramProbe> {
  cachedProbe ??= probe();
  return cachedProbe;
}

async function probe(): Promise<ProgramProbe> {
  const no = (reason: string): ProgramProbe => ({ ok: false, reason });
  // What the kernel loader needs (Linux, the helper built, the right to load programs) ...
  const a = await kernelAvailability();
  if (!a.ok) return no(a.reason);
  const bin = a.bin;
  let cpus: number;
  try {
    cpus = possibleCpus();
  } catch (e) {
    return no(`cannot read /sys/devices/system/cpu/possible: ${(e as Error).message}`);
  }
  // ... and test runs on top.
  const helper = new Helper(bin);
  try {
    // mov64 r0, 7; exit — as a syscall program, test-run once
    await helper.must('raw');
    await helper.must('rawprog probe 31 b700000007000000' + '9500000000000000');
    await helper.must('load');
    const run = await helper.ask('run probe 0 0 - -');
    if ('errno' in run || run.ok[0] !== '7') return no(`BPF_PROG_TEST_RUN does not work here (${'errno' in run ? errnoNameOf(run.errno) : `returned ${run.ok[0]}`})`);
  } catch (e) {
    return no((e as Error).message);
  } finally {
    await helper.stop();
  }
  const v = await run('pkg-config', ['--modversion', 'libbpf']);
  return { ok: true, env: { kernel: release(), cpus, libbpf: v.code === 0 ? v.stdout.trim() : 'unknown', helperBin: bin } };
}
