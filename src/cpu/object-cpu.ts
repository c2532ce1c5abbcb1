// A loaded eBPF object on one simulated CPU: its translated programs instantiated over the object's
// shared memory with this CPU's block (stack, helper area, context, packet), its maps opened from
// their handles, the helpers bound, and a fault turned back into the instruction and source line
// that caused it.
//
// Tail calls: a translated program whose bpf_tail_call jumped in its main function returns from
// run() before that event (translate.ts); runRange then runs the chain here, each target's run()
// for that one event, until one returns normally: its r0 is the event's, counted in the entry
// program's returns. One JS step per tail call (at most MAX_TAIL_CALL_CNT = 33 an event). A jump
// made inside a sub-program replaces only that function's frame, as the kernel's JIT does: the
// target runs in the sub-program's frame (its run() given that frame) and its r0 goes back to the
// sub-program's caller (tailSub).

import { insnAtOffset, FAULT_KINDS } from '../jit/index.js';
import { lineOf } from '../object/index.js';
import { SharedMemory } from '../maps/layout.js';
import { openMap, type BpfMap } from '../maps/syscall.js';
import { idrAdd, idrRemove, type BpfProg } from '../maps/idr.js';
import { MAX_TAIL_CALL_CNT } from '../maps/uapi.js';
import { FAULT_HELPER_ARG } from './program-fault.js';
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

/** The tail-call state of one object on one CPU (shared by its programs). */
interface TailChain {
  /** Jumps made in the current event (the kernel's tail_call_cnt). */
  count: number;
  /** The event `count` counts for (a new event starts from 0, as the kernel's prologue zeroes it). */
  countEvent: number;
  /** The target of the jump just made, not yet run. */
  pending: CpuProgram | null;
  /** The program the current chain started from (its returns get the chain's r0), or null. */
  origin: CpuProgram | null;
  /** The program running now, for faults (ObjectCpu.running). */
  setRunning(p: CpuProgram): void;
}

interface Exports {
  run(from: number, to: number): number;
  event: WebAssembly.Global;
  frame: WebAssembly.Global;
  held?: WebAssembly.Global;
}

/** One program, instantiated on this CPU. */
export class CpuProgram {
  readonly task: ObjectProgramTask;
  readonly kind: CtxKind;
  readonly returns: ReturnCounts = new Map();
  lastReturn = 0;
  /** Where this program's return values are counted: itself, or the entry program of a tail-call chain it runs in. */
  returnSink: CpuProgram = this;
  /** Set by ObjectCpu: the object's tail-call state on this CPU. */
  tails: TailChain | null = null;
  /** While run as a sub-program's tail call target: its r0 is kept here instead of counted. */
  private capture = false;
  capturedLo = 0;
  capturedHi = 0;
  private readonly exports: Exports;
  private readonly pidBase: WebAssembly.Global;
  private readonly pids: WebAssembly.Global;

  constructor(task: ObjectProgramTask, imports: Record<string, WebAssembly.ImportValue>, pidBase: WebAssembly.Global, pids: WebAssembly.Global) {
    this.task = task;
    this.kind = ctxKindOf(task.type);
    this.pidBase = pidBase;
    this.pids = pids;
    const onReturn = (lo: number, hi: number, count: number): void => {
      if (this.capture) {
        this.capturedLo = lo;
        this.capturedHi = hi;
        return;
      }
      const v = lo >>> 0;
      const sink = this.returnSink;
      sink.returns.set(v, (sink.returns.get(v) ?? 0) + count);
      sink.lastReturn = v;
    };
    this.exports = new WebAssembly.Instance(task.module, { env: { ...imports, onReturn } }).exports as unknown as Exports;
  }

  /** Events from..to-1, back to back inside the translated loop; a tail call's event finishes in its chain. */
  runRange(from: number, to: number): void {
    // A new run of this program: its own 33 tail calls, even for an event another program of the
    // object ran in just before (two programs on one probe).
    this.tails!.countEvent = -1;
    let i = from + this.exports.run(from, to);
    while (i < to) {
      // run() stopped before event i: a bpf_tail_call in it jumped.
      this.runTailChain(i);
      i++;
      i += this.exports.run(i, to);
    }
  }

  /** The targets of event `event`'s tail calls, one after another, until one returns. */
  private runTailChain(event: number): void {
    const t = this.tails!;
    t.origin = this;
    let target = t.pending!;
    for (;;) {
      t.pending = null;
      t.setRunning(target);
      target.returnSink = this;
      target.pidBase.value = this.pidBase.value;
      target.pids.value = this.pids.value;
      let done: number;
      try {
        done = target.exports.run(event, event + 1);
      } finally {
        // Also after a fault: the target's own runs count for itself again.
        target.returnSink = target;
      }
      if (done === 1) break;
      target = t.pending!;
    }
    t.origin = null;
    t.setRunning(this);
  }

  /**
   * Event `event` run in frame `fp` (a sub-program's, whose tail call jumped here) for `caller`,
   * its r0 kept in capturedLo/Hi: 1 when it returned, 0 when it jumped again from its main function.
   */
  runInFrame(event: number, fp: number, caller: CpuProgram): number {
    const capture = this.capture;
    const frame = this.exports.frame.value as number;
    this.capture = true;
    this.exports.frame.value = fp;
    this.pidBase.value = caller.pidBase.value;
    this.pids.value = caller.pids.value;
    try {
      return this.exports.run(event, event + 1);
    } finally {
      this.capture = capture;
      this.exports.frame.value = frame;
    }
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
  /** The tail-call state its programs share on this CPU. */
  readonly tails: TailChain;
  /** The programs as BPF programs in this thread (a prog array's slot names one by id), and back. */
  private readonly progs = new Map<BpfProg, CpuProgram>();
  /** Inner maps its programs met through maps of maps (their values join the region table). */
  private readonly innerMaps: BpfMap[] = [];

  constructor(task: ObjectLoadTask, cpu: number, taskAt: (event: number) => CurrentTask, trace: () => TracePipe | null) {
    this.task = task;
    const buffer = task.memory.buffer as SharedArrayBuffer;
    this.mem = new SharedMemory(buffer);
    this.i32 = this.mem.i32;
    this.area = cpuArea(task.cpuBase, cpu);
    this.maps = task.maps.map((m) => openMap(m.handle));
    this.tails = { count: 0, countEvent: -1, pending: null, origin: null, setRunning: (p) => { this.running = p; } };
    // Translated programs count events in their own global; the task follows from it.
    const taskOf = (): CurrentTask => taskAt(this.running === null ? 0 : this.running.event);
    const helpers = bindHelpers({
      cpu, mem: this.mem, scratch: this.area.scratch, maps: this.maps, descBase: task.descBase, descBytes: task.descBytes, task: taskOf, trace,
      innerDescs: task.innerDescs, object: task.object, memoryId: task.memoryId,
      onInnerMap: (m) => this.addInnerMap(m),
      tailCall: (prog, pc) => this.tailCall(prog, pc),
      packetProgram: () => this.running !== null && this.running.kind !== 'plain',
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
        tailSub: (_pc: number, fp: number) => this.tailSub(fp),
        ...helpers,
      }, pidBase, pids);
      prog.tails = this.tails;
      this.programs.push(prog);
      // A prog array's slot holds the program's id; this thread finds it by id as a BpfProg.
      const bp: BpfProg = { id: p.id, type: p.progType, name: p.name, run: null };
      idrAdd(p.id, 'prog', bp);
      this.progs.set(bp, prog);
    }
  }

  /** The object is unloaded from this CPU: its programs are no longer found by id. */
  dispose(): void {
    for (const bp of this.progs.keys()) idrRemove(bp.id, bp);
  }

  /** bpf_tail_call found `prog`: jump (1) unless 33 jumps were made in this event (0). */
  private tailCall(prog: BpfProg, pc: number): number {
    const target = this.progs.get(prog);
    if (target === undefined) {
      throw new ProgramFault(FAULT_HELPER_ARG, pc, prog.id, `bpf_tail_call into program '${prog.name}' (id ${prog.id}), which is not a program of object '${this.task.object}': ` +
        'a compiled object\'s tail calls reach its own programs only (place one of loaded.programs in the prog array)');
    }
    const t = this.tails;
    const event = this.running === null ? -1 : this.running.event;
    if (event !== t.countEvent) {
      t.countEvent = event;
      t.count = 0;
    }
    if (t.count >= MAX_TAIL_CALL_CNT) return 0;
    t.count++;
    t.pending = target;
    return 1;
  }

  /** A sub-program's tail call jumped: run the chain in its frame `fp`, and leave the last r0 in the helper area. */
  private tailSub(fp: number): void {
    const t = this.tails;
    const caller = this.running!;
    const event = caller.event;
    let target = t.pending!;
    for (;;) {
      t.pending = null;
      this.running = target;
      if (target.runInFrame(event, fp, caller) === 1) break;
      target = t.pending!;
    }
    this.running = caller;
    const r0 = (this.area.scratch >>> 2) + 10;
    this.mem.u32[r0] = target.capturedLo;
    this.mem.u32[r0 + 1] = target.capturedHi;
  }

  /** An inner map got a descriptor on this CPU: in checked mode its values join the region table. */
  private addInnerMap(m: BpfMap): void {
    this.innerMaps.push(m);
    if (!this.task.checked) return;
    const w = this.area.regions >>> 2;
    const h = m.getHandle();
    let n = this.i32[w]!;
    for (const r of h.valueRegions) {
      if (n >= MAX_REGIONS) {
        throw new Error(`object '${this.task.object}': inner map '${m.name}' brings the memory regions to check past the ${MAX_REGIONS} a checked program can use; load it with checked: false`);
      }
      this.i32[w + 1 + 2 * n] = h.regions[r]!.byteOffset;
      this.i32[w + 2 + 2 * n] = h.regions[r]!.byteOffset + h.regions[r]!.byteLength;
      n++;
    }
    this.i32[w] = n;
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
    // A run that stopped on a fault may have left a chain half done.
    this.tails.count = 0;
    this.tails.countEvent = -1;
    this.tails.pending = null;
    this.tails.origin = null;
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
    for (const m of [...this.maps, ...this.innerMaps]) {
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
