// Runs translated programs in the tests: one real shared WebAssembly.Memory laid out as the runtime
// will lay it out, real JS imports, and the results read back (r0 through onReturn, faults through
// the fault import). Layout of the test memory (16 pages = 1 MiB):
//   0x00000..0x00fff  never used (NULL page)
//   per CPU c (c = 0..3), at 0x10000 + c * 0x4000: stack [base, base + 0x1000) so stackTop = base + 0x1000,
//     ctx at base + 0x1000 (256 B), scratch at base + 0x1100 (128 B), region table at base + 0x1200
//   0x20000..         map areas (tests place them)

import { translateProgram, type JitMap, type TranslateInput, type TranslatedProgram } from '../../src/jit/index.js';

export const PAGES = 16;
export const MAPS_AT = 0x20000;

export interface CpuArea {
  stackTop: number;
  ctx: number;
  scratch: number;
  regions: number;
}

export function cpuArea(cpu: number): CpuArea {
  const base = 0x10000 + cpu * 0x4000;
  return { stackTop: base + 0x1000, ctx: base + 0x1000, scratch: base + 0x1100, regions: base + 0x1200 };
}

export class Fault extends Error {
  readonly kind: number;
  readonly pc: number;
  readonly addr: number;
  constructor(kind: number, pc: number, addr: number) {
    super(`fault kind ${kind} at insn ${pc} addr ${addr >>> 0}`);
    this.kind = kind;
    this.pc = pc;
    this.addr = addr;
  }
}

export interface RunOptions {
  maps?: JitMap[];
  checked?: boolean;
  loopBudget?: number;
  unknownHelpers?: 'fault' | 'refuse';
  funcs?: { name: string; start: number }[];
  cpu?: number;
  /** JS helpers by id: (pc, scratch view) -> r0 low half. */
  helpers?: Record<number, (pc: number, s: { arg(i: number): bigint; setR0(v: bigint): void }) => number>;
  /** Regions for checked mode: [lo, hi) pairs. */
  regions?: [number, number][];
  pidBase?: number;
  pids?: number;
  memory?: WebAssembly.Memory;
  spinLockSlow?: (addr: number, pc: number) => void;
  /** tailSub(pc, fp): a sub-program's bpf_tail_call jumped (the runtime runs the target in that frame). */
  tailSub?: (pc: number, fp: number, s: { setR0(v: bigint): void }) => void;
}

export function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
}

export function translate(insns: Uint8Array, opts: RunOptions = {}): TranslatedProgram {
  const input: TranslateInput = {
    name: 'test',
    pages: PAGES,
    insns,
    funcs: opts.funcs ?? [{ name: 'main', start: 0 }],
    maps: opts.maps ?? [],
    checked: opts.checked ?? false,
    loopBudget: opts.loopBudget,
    unknownHelpers: opts.unknownHelpers,
  };
  return translateProgram(input);
}

export interface Instance {
  run(from: number, to: number): number;
  event(): number;
  /** (value, count) reports from onReturn, in order. */
  returns: [bigint, number][];
  memory: WebAssembly.Memory;
  exports: Record<string, unknown>;
  lockTag: number;
}

export function instantiate(prog: TranslatedProgram, opts: RunOptions = {}): Instance {
  const memory = opts.memory ?? newMemory();
  const cpu = opts.cpu ?? 0;
  const area = cpuArea(cpu);
  const dv = new DataView(memory.buffer);
  const returns: [bigint, number][] = [];
  const regions = opts.regions ?? [];
  dv.setInt32(area.regions, regions.length, true);
  regions.forEach(([lo, hi], i) => {
    dv.setInt32(area.regions + 4 + i * 8, lo, true);
    dv.setInt32(area.regions + 8 + i * 8, hi, true);
  });
  const lockTag = (cpu + 2) << 1;
  const env: Record<string, WebAssembly.ImportValue> = {
    memory,
    cpu,
    stackTop: area.stackTop,
    ctx: area.ctx,
    scratch: area.scratch,
    lockTag,
    regions: area.regions,
    pidBase: new WebAssembly.Global({ value: 'i32', mutable: true }, opts.pidBase ?? 1000),
    pids: new WebAssembly.Global({ value: 'i32', mutable: true }, opts.pids ?? 4),
    fault: (kind: number, pc: number, addr: number) => {
      throw new Fault(kind, pc, addr);
    },
    onReturn: (lo: number, hi: number, count: number) => {
      returns.push([(BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), count]);
    },
    spinLockSlow: opts.spinLockSlow ?? ((addr: number) => {
      const i32 = new Int32Array(memory.buffer);
      while (Atomics.compareExchange(i32, addr >> 2, 0, lockTag) !== 0);
    }),
  };
  const scratchView = {
    arg: (i: number) => new DataView(memory.buffer).getBigUint64(area.scratch + (i - 1) * 8, true),
    setR0: (v: bigint) => new DataView(memory.buffer).setBigUint64(area.scratch + 40, BigInt.asUintN(64, v), true),
  };
  for (const [id, fn] of Object.entries(opts.helpers ?? {})) env[`h${id}`] = (pc: number) => fn(pc, scratchView);
  if (opts.tailSub) {
    const tailSub = opts.tailSub;
    env.tailSub = (pc: number, fp: number) => tailSub(pc, fp, scratchView);
  }
  const inst = new WebAssembly.Instance(prog.module, { env });
  const run = inst.exports.run as (from: number, to: number) => number;
  const event = inst.exports.event as WebAssembly.Global;
  return { run, event: () => Number(event.value), returns, memory, exports: inst.exports, lockTag };
}

/** Translates and runs one event; returns r0 as an unsigned 64-bit value. */
export function r0Of(insns: Uint8Array, opts: RunOptions = {}): bigint {
  const inst = instantiate(translate(insns, opts), opts);
  inst.run(0, 1);
  if (inst.returns.length !== 1) throw new Error(`expected one return report, got ${inst.returns.length}`);
  return inst.returns[0]![0];
}

/** The fault a program raises on its first event (or null when it runs to completion). */
export function faultOf(insns: Uint8Array, opts: RunOptions = {}): Fault | null {
  const inst = instantiate(translate(insns, opts), opts);
  try {
    inst.run(0, 1);
  } catch (e) {
    if (e instanceof Fault) return e;
    throw e;
  }
  return null;
}

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
