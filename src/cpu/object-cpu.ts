// A loaded eBPF object on one simulated CPU: its translated programs instantiated over the object's
// shared memory with this CPU's block (stack, helper area, context, packet), its maps opened from
// their handles, the helpers bound, and a fault turned back into the instruction and source line
// that caused it.

import { insnAtOffset, FAULT_KINDS } from '../jit/index.js';
import { lineOf } from '../object/index.js';
import { SharedMemory } from '../maps/layout.js';
import { openMap, type BpfMap } from '../maps/syscall.js';
import type { TracePipe } from '../maps/trace-pipe.js';
import { spinLockAcquire, spinLockRelease, thisLockId } from '../sync/spinlock.js';
import type { CurrentTask } from '../smp/smp.js';
import { cpuArea, MAX_REGIONS, type CpuArea } from './cpu-areas.js';
import { bindHelpers } from './func-proto.js';
import type { ObjectLoadTask, ObjectProgramTask } from './object.js';
import { ctxKindOf, writeContext, type CtxKind, type PacketPlace } from './prog-ctx.js';
import { ProgramFault } from './program-fault.js';

/** What a run gives networking and syscall programs. */
export interface RunInput {
  data?: Uint8Array;
  ctx?: Uint8Array;
}

/** Return values of a run: r0's low 32 bits, as BPF_PROG_TEST_RUN reports them, with how many events returned each. */
export type ReturnCounts = Map<number, number>;

/** Where a program failed. */
export interface ProgramFailure {
  program: string;
  insn: number;
  /** "file.c:48: val->cnt++;" with -g, else ''. */
  source: string;
  message: string;
  /** The event the program was running. */
  event: number;
}

interface Exports {
  run(from: number, to: number): number;
  event: WebAssembly.Global;
  held?: WebAssembly.Global;
}

/** One program, instantiated on this CPU. */
export class CpuProgram {
  readonly task: ObjectProgramTask;
  readonly kind: CtxKind;
  readonly returns: ReturnCounts = new Map();
  lastReturn = 0;
  private readonly exports: Exports;
  private readonly pidBase: WebAssembly.Global;
  private readonly pids: WebAssembly.Global;

  constructor(task: ObjectProgramTask, imports: Record<string, WebAssembly.ImportValue>, pidBase: WebAssembly.Global, pids: WebAssembly.Global) {
    this.task = task;
    this.kind = ctxKindOf(task.type);
    this.pidBase = pidBase;
    this.pids = pids;
    const onReturn = (lo: number, _hi: number, count: number): void => {
      const v = lo >>> 0;
      this.returns.set(v, (this.returns.get(v) ?? 0) + count);
      this.lastReturn = v;
    };
    this.exports = new WebAssembly.Instance(task.module, { env: { ...imports, onReturn } }).exports as unknown as Exports;
  }

  /** Events from..to-1, back to back inside the translated loop. */
  runRange(from: number, to: number): void {
    this.exports.run(from, to);
  }

  /** The event being run (after a fault: the one that faulted). */
  get event(): number {
    return this.exports.event.value as number;
  }

  setTasks(pidBase: number, pids: number): void {
    this.pidBase.value = pidBase;
    this.pids.value = pids;
  }

  /** A lock the program held when it stopped (a trap inside a locked region): its word's address, or 0. */
  takeHeld(): number {
    const h = this.exports.held;
    if (h === undefined) return 0;
    const addr = h.value as number;
    h.value = 0;
    return addr;
  }
}

/** The object on this CPU. */
export class ObjectCpu {
  readonly task: ObjectLoadTask;
  readonly programs: CpuProgram[] = [];
  readonly maps: BpfMap[];
  private readonly mem: SharedMemory;
  private readonly area: CpuArea;
  private readonly i32: Int32Array;
  private packet: PacketPlace | null = null;

  /** The program running now (set as each starts), to blame a fault on. */
  running: CpuProgram | null = null;

  constructor(task: ObjectLoadTask, cpu: number, taskAt: (event: number) => CurrentTask, trace: () => TracePipe | null) {
    this.task = task;
    const buffer = task.memory.buffer as SharedArrayBuffer;
    this.mem = new SharedMemory(buffer);
    this.i32 = this.mem.i32;
    this.area = cpuArea(task.cpuBase, cpu);
    this.maps = task.maps.map((m) => openMap(m.handle));
    // Translated programs count events in their own global; the task follows from it.
    const taskOf = (): CurrentTask => taskAt(this.running === null ? 0 : this.running.event);
    const helpers = bindHelpers({
      cpu, mem: this.mem, scratch: this.area.scratch, maps: this.maps, descBase: task.descBase, descBytes: task.descBytes, task: taskOf, trace,
    }, [...new Set(task.programs.flatMap((p) => p.imports))]);
    const lockTag = thisLockId() << 1;
    for (const p of task.programs) {
      const pidBase = new WebAssembly.Global({ value: 'i32', mutable: true }, 1000);
      const pids = new WebAssembly.Global({ value: 'i32', mutable: true }, 1);
      const prog: CpuProgram = new CpuProgram(p, {
        memory: task.memory, cpu, stackTop: this.area.stackTop, ctx: this.area.ctx, scratch: this.area.scratch,
        lockTag, regions: this.area.regions, pidBase, pids,
        fault: (kind: number, pc: number, addr: number) => {
          throw new ProgramFault(kind, pc, addr);
        },
        // The contended path of bpf_spin_lock: the same waiting (and timeout, dead holder, stop) as a handler's.
        spinLockSlow: (addr: number) => spinLockAcquire(this.i32, addr >>> 2),
        ...helpers,
      }, pidBase, pids);
      this.programs.push(prog);
    }
  }

  /** Programs attached to a probe. */
  programsOf(probe: string): CpuProgram[] {
    return this.programs.filter((p) => p.task.probe === probe);
  }

  /** Before a run: the context and packet this CPU's programs get, the region table, the task source. */
  prepare(programs: readonly CpuProgram[], input: RunInput, pidBase: number, pids: number): void {
    if (programs.length === 0) return;
    const kind = programs[0]!.kind;
    const { ranges, packet } = writeContext(this.mem.u8, this.area, kind, input.data, input.ctx);
    this.packet = packet;
    if (this.task.checked) this.writeRegions(ranges);
    for (const p of programs) {
      p.returns.clear();
      p.setTasks(pidBase, pids);
    }
  }

  /** The packet after the run (tc, xdp), as BPF_PROG_TEST_RUN's data_out. */
  packetOut(): Uint8Array | undefined {
    const p = this.packet;
    return p === null ? undefined : this.mem.u8.slice(p.data, p.data + p.length);
  }

  /** The first `length` bytes of the context after the run (a syscall program writes its context back). */
  ctxOut(length: number): Uint8Array {
    return this.mem.u8.slice(this.area.ctx, this.area.ctx + length);
  }

  /** A fault or trap of `prog`, as the run's failure; a lock it held is released. */
  failureOf(prog: CpuProgram, e: unknown): ProgramFailure | null {
    const held = prog.takeHeld();
    if (held !== 0) spinLockRelease(this.i32, held >>> 2);
    const t = prog.task;
    let insn = -1;
    let message: string;
    if (e instanceof ProgramFault) {
      insn = e.pc;
      message = `${FAULT_KINDS[e.kind]?.name ?? 'fault'}: ${e.message}`;
    } else if (e instanceof WebAssembly.RuntimeError) {
      const off = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(e.stack ?? '');
      if (off !== null) insn = insnAtOffset(t.codeMap, parseInt(off[1]!, 16));
      message = `${e.message}${/out of bounds/.test(e.message) ? ' (an address outside the object\'s memory; load with checked: true to find the first bad access)' : ''}`;
    } else {
      return null;
    }
    const line = insn >= 0 ? lineOf({ lines: t.lines as never }, insn) : undefined;
    return {
      program: t.name,
      insn,
      source: line ? `${line.file}:${line.line}: ${line.text.trim()}` : '',
      message,
      event: prog.event,
    };
  }

  private writeRegions(ranges: [number, number][]): void {
    const all = [...ranges];
    for (const m of this.maps) {
      const h = m.getHandle();
      for (const r of h.valueRegions) all.push([h.regions[r]!.byteOffset, h.regions[r]!.byteOffset + h.regions[r]!.byteLength]);
    }
    if (all.length > MAX_REGIONS) {
      throw new Error(`object '${this.task.object}': ${all.length} memory regions to check, more than the ${MAX_REGIONS} a checked program can use; load it with checked: false`);
    }
    const w = this.area.regions >>> 2;
    this.i32[w] = all.length;
    all.forEach(([lo, hi], i) => {
      this.i32[w + 1 + 2 * i] = lo;
      this.i32[w + 2 + 2 * i] = hi;
    });
  }
}
