// The two players of a step: the live kernel (bpftool, or our native helper where bpftool cannot
// say it) and percpu-maps. Both answer with an Outcome in the same canonical form.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../maps/errno.js';
import { array, bpf_spin_lock, struct, u8, type FieldType } from '../maps/layout.js';
import type { MapSpec } from '../maps/bpf.js';
import { createMap, type BpfMap } from '../maps/syscall.js';
import { mapOpsFor } from '../maps/bpf-types.js';
import { BatchError, type BatchResult } from '../maps/batch.js';
import { bpf_map_lookup_elem } from '../maps/helpers.js';
import { setSmpProcessorId, smpProcessorId } from '../smp/smp.js';
import { roundUp8 } from '../maps/limits.js';
import { BPF_F_RDONLY, BPF_F_WRONLY, BPF_OBJ_NAME_LEN, MAP_TYPE_NAMES, isFdMapType } from '../maps/uapi.js';
import { formatDump, type DumpEntry } from '../maps/dump.js';
import { idrAdd, idrAlloc, idrRemove, type BpfProg } from '../maps/idr.js';
import { bpf_tail_call, bpfProgRun } from '../maps/tail-call.js';
import { progArrayClaimOwner } from '../maps/fd-array.js';
import { openPerfEvent, PAGE_SIZE, PERF_RECORD_LOST, PERF_RECORD_SAMPLE, type PerfEvent } from '../maps/perf-event.js';
import { bpf_perf_event_output } from '../maps/bpf-trace.js';
import { Bpftool, DriverError } from './bpftool.js';
import { BPFFS, PIN_PREFIX } from './env.js';
import { errnoNameOf } from './schema.js';
import type { NativeHelper } from './native.js';
import {
  BATCH_OPS, bytesOf, hexOf, infoOutcome, isPercpuType, keyBytes, parseFlags, perfFlags, PROG_TYPES, REF_RE, userValue,
  type BatchOutcome, type MapDef, type Outcome, type PerfEventDef, type PerfRecordOutcome, type ProgDef, type Step,
} from './schema.js';

export const DEFAULT_NAME = 'conf';

export function mapName(def: MapDef): string {
  return def.name ?? DEFAULT_NAME;
}

/** The outcome of a read: the value, or for per-CPU maps one value per CPU. */
export function readOutcome(bytes: Uint8Array, def: MapDef, cpus: number, padding: boolean): Outcome {
  if (!isPercpuType(def.type)) return { value: hexOf(bytes) };
  const stride = roundUp8(def.valueSize);
  const width = padding ? stride : def.valueSize;
  const values: string[] = [];
  for (let c = 0; c < cpus; c++) values.push(hexOf(bytes.subarray(c * stride, c * stride + width)));
  return { values };
}

function elemFlags(step: Step): number {
  return step.flags === undefined ? 0 : parseFlags(step.flags, false);
}

// ---- objects: ids as names --------------------------------------------------------------------

/** Whether a value is an object reference ("@name") rather than bytes. */
function isRef(v: string | undefined): v is string {
  return v !== undefined && REF_RE.test(v);
}

/** The object names of a value's ids, as the scenario says them: an id no object has stays bytes. */
function refOf(hex: string, names: ReadonlyMap<number, string>): string | undefined {
  if (hex.length !== 8) return undefined;
  const b = bytesOf(hex);
  return names.get((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
}

/** A read of a map whose values are object ids: { ref: name } for an id the scenario named. */
function normalizeRefs(o: Outcome, def: MapDef, names: ReadonlyMap<number, string>): Outcome {
  if (!isFdMapType(MAP_TYPE_NAMES[def.type])) return o;
  if ('value' in o) {
    const name = refOf(o.value, names);
    return name === undefined ? o : { ref: name };
  }
  if ('batch' in o && o.batch.values !== undefined) {
    return { batch: { ...o.batch, values: o.batch.values.map((v) => { const n = refOf(v, names); return n === undefined ? v : `@${n}`; }) } };
  }
  return o;
}

/** A dump with object ids as @name, in JSON and in bpftool's text. */
function normalizeDump(json: DumpEntry[], text: string, def: MapDef, names: ReadonlyMap<number, string>): Outcome {
  if (!isFdMapType(MAP_TYPE_NAMES[def.type])) return { dump: { json, text } };
  const hexOfJson = (v: string[]): string => v.map((x) => x.slice(2)).join('');
  const out = json.map((e) => {
    if (!Array.isArray(e.value)) return e;
    const n = refOf(hexOfJson(e.value), names);
    return n === undefined ? e : { ...e, value: `@${n}` };
  });
  let t = text;
  for (const [id, n] of names) {
    const bytes = [id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    t = t.split(`value: ${bytes}`).join(`value: @${n}`);
  }
  return { dump: { json: out as unknown[], text: t } };
}

/** Records of a perf ring, from linear bytes: a sample whole, a lost record's count (its id: 'self' when the event's). */
export function perfRecords(bytes: Uint8Array, selfId: number): PerfRecordOutcome[] {
  const out: PerfRecordOutcome[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 8 <= bytes.length;) {
    const type = dv.getUint32(at, true);
    const misc = dv.getUint16(at + 4, true);
    const size = dv.getUint16(at + 6, true);
    if (size < 8 || at + size > bytes.length) {
      out.push({ type: 'other', bytes: hexOf(bytes.subarray(at)) });
      break;
    }
    const rec = bytes.subarray(at, at + size);
    if (type === PERF_RECORD_SAMPLE) out.push({ type: 'sample', bytes: hexOf(rec) });
    else if (type === PERF_RECORD_LOST && size >= 24) {
      const id = dv.getUint32(at + 8, true) + dv.getUint32(at + 12, true) * 2 ** 32;
      out.push({ type: 'lost', misc, size, id: id === selfId ? 'self' : String(id), lost: dv.getUint32(at + 16, true) + dv.getUint32(at + 20, true) * 2 ** 32 });
    } else out.push({ type: 'other', bytes: hexOf(rec) });
    at += size;
  }
  return out;
}

/**
 * A whole ring as hex with the event's id in each PERF_RECORD_LOST (8-aligned, as records are)
 * written as "<self>": the kernel's event ids are a global counter, ours our own.
 */
export function normalizeRing(hex: string, selfId: number): string {
  const id = hexOf(new Uint8Array(new BigUint64Array([BigInt(selfId)]).buffer));
  let out = '';
  for (let i = 0; i < hex.length; i += 16) {
    const chunk = hex.slice(i, i + 16);
    out += chunk;
    if (chunk === '0200000000001800' && hex.slice(i + 16, i + 32) === id) {
      out += '<self>';
      i += 16;
    }
  }
  return out;
}

/** The native helper's object recipe for a program. */
function recipeArgs(p: ProgDef): string {
  const parts = [String(PROG_TYPES[p.type])];
  if (p.count !== undefined) parts.push('count', p.count);
  for (const t of p.tailCalls ?? []) parts.push('tail', t.map, String(t.index));
  parts.push('ret', String(p.ret));
  return parts.join(' ');
}

// ---- batch commands ----

/** A batch lookup's cursor as bytes: a number is a little-endian u32 (an array key or a bucket index). */
export function cursorBytes(inBatch: string | number | null | undefined): Uint8Array | null {
  if (inBatch === null || inBatch === undefined) return null;
  return typeof inBatch === 'string' ? bytesOf(inBatch) : keyBytes(inBatch, 4);
}

/** Bytes of out_batch: a u32 bucket index for the hash family (their own batch ops), a key for the generic ones. */
export function outBatchSize(def: MapDef): number {
  return mapOpsFor(MAP_TYPE_NAMES[def.type])?.lookupBatch !== undefined ? 4 : def.keySize;
}

/** An update batch's keys and values, packed (per-CPU values repeated over the CPUs). */
export function batchBuffers(step: Step, def: MapDef, cpus: number): { keys: Uint8Array; values: Uint8Array } {
  const keyList = step.keys ?? [];
  const keys = new Uint8Array(keyList.length * def.keySize);
  keyList.forEach((k, i) => keys.set(keyBytes(k, def.keySize)!, i * def.keySize));
  const vals = (step.values ?? []).map((v) => userValue({ op: 'update', value: v }, def, cpus));
  const size = vals[0]?.length ?? 0;
  const values = new Uint8Array(vals.length * size);
  vals.forEach((v, i) => values.set(v, i * size));
  return { keys, values };
}

/**
 * The canonical batch outcome. Keys and values appear for lookups that succeeded or ended with
 * ENOENT; per-CPU values as every CPU's value_size bytes in a row (round_up(value_size, 8) with padding).
 */
export function batchOutcome(step: Step, def: MapDef, cpus: number, errno: string | null, count: number,
  outBatch: Uint8Array | null, keys?: Uint8Array, values?: Uint8Array): Outcome {
  const b: BatchOutcome = { count };
  if (errno !== null) b.errno = errno;
  if (outBatch !== null) b.outBatch = hexOf(outBatch);
  const lookup = step.op === 'lookupBatch' || step.op === 'lookupAndDeleteBatch';
  if (lookup && (errno === null || errno === 'ENOENT') && keys && values) {
    const n = Math.min(count, step.count ?? 0);
    const ks = def.keySize;
    const percpu = isPercpuType(def.type);
    const uvs = percpu ? roundUp8(def.valueSize) * cpus : def.valueSize;
    b.keys = [];
    b.values = [];
    for (let i = 0; i < n; i++) {
      b.keys.push(hexOf(keys.subarray(i * ks, (i + 1) * ks)));
      const v = values.subarray(i * uvs, (i + 1) * uvs);
      const r = readOutcome(v, def, cpus, step.padding === true);
      b.values.push('values' in r ? r.values.join('') : (r as { value: string }).value);
    }
  }
  return { batch: b };
}

// ---- get_next_key walks ----

/** A walk can revisit keys (a deleted key restarts it); stop a runaway one after this many steps. */
function walkLimit(def: MapDef): number {
  return Math.min(def.maxEntries, 1 << 16) * 2 + 16;
}

function walkStep(keys: string[], o: Outcome): { next: string | null; done?: Outcome } {
  if ('key' in o) {
    keys.push(o.key);
    return { next: o.key };
  }
  if ('errno' in o) return { next: null, done: o.errno === 'ENOENT' ? { keys } : { keys, errno: o.errno } };
  return { next: null, done: { keys, errno: `unexpected ${JSON.stringify(o)}` } };
}

async function walk(def: MapDef, next: (key: Uint8Array | null) => Promise<Outcome>): Promise<Outcome> {
  const keys: string[] = [];
  let key: Uint8Array | null = null;
  for (let i = 0; i < walkLimit(def); i++) {
    const r = walkStep(keys, await next(key));
    if (r.done) return r.done;
    key = bytesOf(r.next!);
  }
  return { keys, errno: 'E#WALK_DID_NOT_END' };
}

function walkSync(def: MapDef, next: (key: Uint8Array | null) => Outcome): Outcome {
  const keys: string[] = [];
  let key: Uint8Array | null = null;
  for (let i = 0; i < walkLimit(def); i++) {
    const r = walkStep(keys, next(key));
    if (r.done) return r.done;
    key = bytesOf(r.next!);
  }
  return { keys, errno: 'E#WALK_DID_NOT_END' };
}

// ---- the kernel --------------------------------------------------------------------------------

/** Pins still in bpffs, removed on exit even when a run is interrupted. */
const livePins = new Set<string>();
let exitHook = false;

function removePin(pin: string): void {
  rmSync(pin, { force: true });
  livePins.delete(pin);
}

let pinCounter = 0;

/**
 * Which driver plays a step on the kernel, and why the native helper when it is not bpftool.
 * bpftool reopens a pinned map read-write and passes only its own flag words, names and values.
 */
export function nativeReason(step: Step, def: MapDef, fdBound: boolean): string | null {
  if (step.op === 'object' || step.op === 'progRun' || step.op.startsWith('perf')) return 'objects live in the native helper';
  if (step.op === 'dump') return null;
  if (step.on !== undefined) return 'an object map lives in the native helper';
  if (isFdMapType(MAP_TYPE_NAMES[def.type])) return 'the values of this map are objects (fds) only the native helper holds';
  if (step.op === 'create') {
    const flags = def.flags === undefined ? 0 : parseFlags(def.flags, true);
    if (def.lockOffset !== undefined) return 'a bpf_spin_lock value needs BTF';
    if (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) return 'BPF_F_RDONLY/BPF_F_WRONLY live on the created fd';
    const name = mapName(def);
    if (name === '' || name.length >= BPF_OBJ_NAME_LEN) return 'bpftool requires a name and libbpf truncates long ones';
    if (def.mapExtra) return 'bpftool has no map_extra';
    if (def.inner !== undefined) return 'the inner map template is an object of the native helper';
    return null;
  }
  if (fdBound) return 'the map is only reachable through its creation fd';
  if (step.op === 'progLookup') return 'a program\'s lookup runs as a BPF program (BPF_PROG_TEST_RUN)';
  if (BATCH_OPS.includes(step.op)) return 'bpftool has no batch commands';
  const keyless = def.keySize === 0;
  const nullKey = step.key === null || step.key === undefined;
  // bpftool passes no key at all for keyless maps, and always one for the others.
  if (step.op === 'info') return def.mapExtra ? 'bpftool shows no map_extra' : null;
  if (step.op !== 'getNextKey' && step.op !== 'freeze' && step.op !== 'walk' && nullKey !== keyless) {
    return keyless ? 'a key pointer for a keyless map' : 'a NULL key pointer';
  }
  if (step.op === 'getNextKey' && keyless && !nullKey) return 'a key pointer for a keyless map';
  switch (step.op) {
    case 'update': {
      if (elemFlags(step) > 2) return 'bpftool passes only BPF_ANY, BPF_NOEXIST, BPF_EXIST';
      if (def.valueSize === 0) return 'bpftool cannot pass an empty value';
      if (isPercpuType(def.type)) {
        const vals = step.values ?? [step.value!];
        if (vals.some((v) => v !== vals[0])) return 'per-CPU values that differ per CPU';
        if (vals[0]!.length !== def.valueSize * 2) return 'explicit per-CPU padding bytes';
      }
      return null;
    }
    case 'lookup':
      if (elemFlags(step) !== 0) return 'bpftool lookups take no flags';
      // bpftool's lookup buffer starts uninitialised, and a bloom filter tests what it holds.
      if (step.value !== undefined || def.type === 'bloom_filter') return 'the lookup buffer\'s contents matter';
      if (step.padding) return 'bpftool prints no padding bytes';
      return null;
    case 'lookupAndDelete':
      // bpftool's pop is a lookup-and-delete with a NULL key and no flags.
      return keyless && elemFlags(step) === 0 ? null : 'bpftool has no lookup-and-delete with a key or flags';
    case 'delete':
      return keyless ? 'bpftool needs a key to delete' : null;
    default:
      return null;
  }
}

export class KernelSide {
  readonly cpus: number;
  private bpftool: Bpftool;
  private native: NativeHelper;
  private pin: string | null = null;
  private fdBound = false;
  private nativeOpen = false;
  private nativeCpu = -1;
  /**
   * Keys of a per-CPU map whose padding bytes bpftool left unspecified: its update copies
   * value_size bytes per CPU out of an uninitialised buffer, so the padding is whatever was there.
   */
  private unknownPadding = new Set<string>();
  /** Steps played through each driver (for the summary). */
  readonly driverSteps = { bpftool: 0, native: 0 };
  /** The scenario's objects: their kernel ids, by id and by name. */
  private readonly names = new Map<number, string>();
  private readonly ids = new Map<string, number>();
  /** The definitions of object maps (a map of maps' template gives its inner key and value sizes). */
  private readonly defs = new Map<string, MapDef>();
  private hasObjects = false;

  constructor(bpftoolBin: string, native: NativeHelper, cpus: number) {
    this.bpftool = new Bpftool({ bin: bpftoolBin });
    this.native = native;
    this.cpus = cpus;
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const p of livePins) rmSync(p, { force: true });
      });
    }
  }

  get hasMap(): boolean {
    return this.pin !== null;
  }

  /** Close the scenario's objects (maps, programs, perf events): at the end of a scenario, also after failures. */
  async dropObjects(): Promise<void> {
    this.names.clear();
    this.ids.clear();
    this.defs.clear();
    if (this.hasObjects) {
      this.hasObjects = false;
      await this.native.must('closeobjs');
    }
  }

  /** Remove the current map (its pin and our fd); call at the end of a scenario, also after failures. */
  async dropMap(): Promise<void> {
    const pin = this.pin;
    const open = this.nativeOpen;
    this.pin = null;
    this.nativeOpen = false;
    this.fdBound = false;
    try {
      if (open) await this.native.must('close');
    } finally {
      if (pin) removePin(pin);
    }
  }

  private async nativeOn(cpu: number | undefined): Promise<NativeHelper> {
    if (!this.nativeOpen && this.pin !== null) {
      await this.native.must(`open ${this.pin}`);
      this.nativeOpen = true;
    }
    const want = cpu ?? -1;
    if (want !== this.nativeCpu) {
      await this.native.must(`cpu ${want}`);
      this.nativeCpu = want;
    }
    return this.native;
  }

  async step(step: Step, def: MapDef): Promise<Outcome> {
    if (step.op === 'walk') return walk(def, (key) => this.step({ op: 'getNextKey', key: key === null ? null : hexOf(key), cpu: step.cpu, on: step.on }, def));
    const reason = nativeReason(step, def, this.fdBound);
    this.driverSteps[reason ? 'native' : 'bpftool']++;
    switch (step.op) {
      case 'create': return this.create(def, reason !== null);
      case 'object': return this.object(step);
      case 'progRun': {
        const r = await this.native.command(`progrun ${step.prog as string} ${step.cpu ?? -1}`);
        return 'ok' in r ? { retval: Number(r.hex) } : r;
      }
      case 'perfRead': case 'perfRaw': case 'perfPoll': case 'perfCtl': return this.perf(step);
      case 'dump': return this.dump(def);
    }
    if (step.on !== undefined) {
      await this.nativeOn(step.cpu);
      await this.native.must(`use ${step.on}`);
      try {
        return normalizeRefs(await this.elemStep(step, def, reason), def, this.names);
      } finally {
        await this.native.must('use -');
      }
    }
    return normalizeRefs(await this.elemStep(step, def, reason), def, this.names);
  }

  /** An object: made in the native helper, its kernel id noted under its name. */
  private async object(step: Step): Promise<Outcome> {
    const name = step.name!;
    let line: string;
    if (step.map !== undefined) {
      const d = step.map;
      const flags = d.flags === undefined ? 0 : parseFlags(d.flags, true);
      const n = mapName(d);
      line = `obj ${name} map ${MAP_TYPE_NAMES[d.type]} ${d.keySize} ${d.valueSize} ${d.maxEntries} ${flags} ${n === '' ? '-' : n} ${d.lockOffset ?? -1} ${d.mapExtra ?? 0} ${d.inner ?? '-'}`;
    } else if (step.prog !== undefined) {
      line = `obj ${name} prog ${recipeArgs(step.prog as ProgDef)}`;
    } else {
      const p = step.perfEvent!;
      line = `obj ${name} perf ${p.cpu} ${p.pages ?? 8} ${p.wakeupEvents ?? 1} ${p.wakeupWatermark === undefined ? 0 : 1} ${p.wakeupWatermark ?? 0} ${p.overwrite ? 1 : 0} ${p.config === 'dummy' ? 9 : 10}`;
    }
    const r = await this.native.command(line);
    if (!('ok' in r)) return r;
    this.hasObjects = true;
    if (step.map !== undefined) this.defs.set(name, step.map);
    const id = await this.native.command(`id ${name}`);
    if (!('ok' in id)) throw new DriverError(`native helper: the id of object '${name}' answered ${id.errno}`);
    this.names.set(Number(id.hex), name);
    this.ids.set(name, Number(id.hex));
    return { ok: true };
  }

  private async perf(step: Step): Promise<Outcome> {
    const on = step.on!;
    switch (step.op) {
      case 'perfRead': {
        const r = await this.native.command(`perfread ${on} ${step.max ?? -1}`);
        if (!('ok' in r)) return r;
        const [head, tail, hex] = r.hex.split(' ');
        return { perf: { head: Number(head), tail: Number(tail), records: perfRecords(bytesOf(hex === '=' ? '' : hex!), this.ids.get(on) ?? -1) } };
      }
      case 'perfRaw': {
        const r = await this.native.command(`perfraw ${on}`);
        if (!('ok' in r)) return r;
        const [head, tail, hex] = r.hex.split(' ');
        return { perf: { head: Number(head), tail: Number(tail), data: normalizeRing(hex!, this.ids.get(on) ?? -1) } };
      }
      case 'perfPoll': {
        const r = await this.native.command(`perfpoll ${on}`);
        return 'ok' in r ? { readable: r.hex === '1' } : r;
      }
      default: {
        const r = await this.native.command(`perfctl ${on} ${step.action}`);
        return 'ok' in r ? { ok: true } : r;
      }
    }
  }

  /** `bpftool map dump` of the scenario's map, JSON and text. */
  private async dump(def: MapDef): Promise<Outcome> {
    const { json, text } = await this.bpftool.dump(this.pin!);
    return normalizeDump(json as DumpEntry[], text, def, this.names);
  }

  /** An element step, on the scenario's map or (after `use`) an object map. */
  private async elemStep(step: Step, def: MapDef, reason: string | null): Promise<Outcome> {
    const ks = def.keySize;
    const key = keyBytes(step.key, ks);
    const flags = elemFlags(step);
    const cpu = step.cpu;
    const keyHex = key ? hexOf(key) : '';
    if (step.padding && this.unknownPadding.has(keyHex)) {
      throw new DriverError(`the step reads padding bytes that bpftool left unspecified (its per-CPU update copies only value_size bytes a CPU); write key ${keyHex} with whole slots ("values" of round_up(value_size, 8) bytes) first`);
    }
    if (step.op === 'update' && isPercpuType(def.type) && def.valueSize % 8 !== 0) {
      if (reason === null) this.unknownPadding.add(keyHex);
      else this.unknownPadding.delete(keyHex);
    }
    if (reason === null) {
      const pin = this.pin!;
      switch (step.op) {
        // bpftool takes one value_size value and writes it to every CPU of a per-CPU map.
        case 'update': return this.bpftool.update(pin, key, bytesOf(step.value ?? step.values![0]!), flags, cpu);
        case 'lookup': return this.bpftool.lookup(pin, key, cpu);
        case 'lookupAndDelete': return this.bpftool.pop(pin, cpu);
        case 'delete': return this.bpftool.delete(pin, key!, cpu);
        case 'getNextKey': return this.bpftool.getNextKey(pin, key, cpu);
        case 'freeze': return this.bpftool.freeze(pin, cpu);
        case 'info': return this.bpftool.info(pin);
      }
    }
    const n = await this.nativeOn(cpu);
    const userSize = isPercpuType(def.type) ? roundUp8(def.valueSize) * this.cpus : def.valueSize;
    switch (step.op) {
      case 'perfOutput': {
        const r = await n.command(`perfout ${cpu ?? -1} ${perfFlags(step.flags!)} ${step.data || '='} ${step.size ?? step.data!.length / 2}`);
        if (!('ok' in r)) return r;
        const ret = Number(r.hex);
        return ret === 0 ? { ok: true } : ret < 0 ? { errno: errnoNameOf(-ret) } : { retval: ret };
      }
      case 'progLookup': {
        if (step.innerKey !== undefined) {
          const inner = this.defs.get(def.inner ?? '');
          if (inner === undefined) throw new DriverError('progLookup with innerKey needs a map of maps whose template is an object map');
          const r = await n.command(`proginner ${hexOf(key!)} ${hexOf(keyBytes(step.innerKey, inner.keySize)!)} ${inner.valueSize}`);
          if (!('ok' in r)) return r;
          return r.hex === 'inner-miss' ? { inner: 'ENOENT' } : { value: r.hex };
        }
        const r = await n.progLookup(key!, def.valueSize);
        return 'bytes' in r ? { value: hexOf(r.bytes) } : r;
      }
      case 'lookupBatch':
      case 'lookupAndDeleteBatch': {
        const r = await n.lookupBatch(step.op === 'lookupAndDeleteBatch', cursorBytes(step.inBatch), step.count!, flags, step.batchFlags ?? 0,
          ks, userSize, outBatchSize(def));
        return batchOutcome(step, def, this.cpus, r.errno, r.count, r.outBatch, r.keys, r.values);
      }
      case 'updateBatch':
      case 'deleteBatch': {
        const refs = (step.values ?? []).some((v) => isRef(v));
        const { keys, values } = batchBuffers(refs ? { ...step, values: [] } : step, def, this.cpus);
        const count = step.count ?? (step.keys ?? []).length;
        const vals = step.op !== 'updateBatch' ? null : refs ? step.values!.join(',') : values;
        const r = await n.writeBatch(vals, keys, count, flags, step.batchFlags ?? 0);
        return batchOutcome(step, def, this.cpus, r.errno, r.count, null);
      }
      case 'update': return n.update(key, isRef(step.value) ? step.value : userValue(step, def, this.cpus), flags);
      case 'delete': return n.delete(key);
      case 'getNextKey': return n.getNextKey(key, ks);
      case 'freeze': return n.freeze();
      case 'info': return n.info();
      case 'lookup':
      case 'lookupAndDelete': {
        const initial = step.op === 'lookup' && step.value !== undefined ? bytesOf(step.value) : undefined;
        const r = await n.elem(step.op === 'lookup' ? 'lookup' : 'lookupdelete', key, flags, userSize, initial);
        return 'bytes' in r ? readOutcome(r.bytes, def, this.cpus, step.padding === true) : r;
      }
    }
    throw new DriverError(`no kernel driver for a ${step.op} step`);
  }

  private async create(def: MapDef, native: boolean): Promise<Outcome> {
    await this.dropMap();
    this.unknownPadding.clear();
    const pin = join(BPFFS, `${PIN_PREFIX}${process.pid}_${pinCounter++}`);
    const flags = def.flags === undefined ? 0 : parseFlags(def.flags, true);
    livePins.add(pin);
    let r: Outcome;
    if (!native) {
      r = await this.bpftool.create(pin, def.type, def.keySize, def.valueSize, def.maxEntries, flags, mapName(def));
    } else {
      r = await this.native.create(MAP_TYPE_NAMES[def.type], def.keySize, def.valueSize, def.maxEntries, flags,
        mapName(def), def.lockOffset ?? -1, def.mapExtra ?? 0, def.inner);
      if ('ok' in r) {
        this.nativeOpen = true;
        await this.native.must(`pin ${pin}`);
        this.fdBound = (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) !== 0;
      }
    }
    if ('ok' in r) this.pin = pin;
    else removePin(pin);
    return r;
  }
}

// ---- percpu-maps -------------------------------------------------------------------------------

/** The value layout for a bpf_spin_lock at lockOffset in a valueSize-byte value. */
function lockLayout(valueSize: number, lockOffset: number): MapSpec['value'] {
  const fields: Record<string, FieldType> = {};
  if (lockOffset > 0) fields.pre = array(u8, lockOffset);
  fields.lock = bpf_spin_lock;
  if (valueSize - lockOffset - 4 > 0) fields.post = array(u8, valueSize - lockOffset - 4);
  return struct(fields);
}

type OurObject = { kind: 'map'; map: BpfMap } | { kind: 'prog'; prog: BpfProg } | { kind: 'perf'; ev: PerfEvent };

/** An id no object has: what the kernel's closed fd is here. */
const BAD_ID = 0x7fffffff;

export class OursSide {
  readonly cpus: number;
  private map: BpfMap | null = null;
  /** The scenario's objects by name, and their ids' names (for { ref }). */
  private readonly objects = new Map<string, OurObject>();
  private readonly names = new Map<number, string>();
  private readonly defs = new Map<string, MapDef>();

  constructor(cpus: number) {
    this.cpus = cpus;
  }

  get hasMap(): boolean {
    return this.map !== null;
  }

  /** Forget the scenario's objects (their programs leave this thread's id table). */
  dropObjects(): void {
    for (const o of this.objects.values()) {
      if (o.kind === 'prog') idrRemove(o.prog.id, o.prog);
      if (o.kind === 'perf') o.ev.disable();
    }
    this.objects.clear();
    this.names.clear();
    this.defs.clear();
  }

  step(step: Step, def: MapDef): Outcome {
    try {
      return this.play(step, def);
    } catch (e) {
      if (e instanceof BpfError) return { errno: e.errno };
      return { threw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }

  /** As a program on `cpu`: smp_processor_id() says it for the call. */
  private onCpu<T>(cpu: number | undefined, fn: () => T): T {
    const saved = smpProcessorId;
    setSmpProcessorId(cpu ?? 0);
    try {
      return fn();
    } finally {
      setSmpProcessorId(saved);
    }
  }

  private objectMap(name: string): BpfMap {
    const o = this.objects.get(name);
    if (o === undefined || o.kind !== 'map') throw new Error(`no map object '${name}'`);
    return o.map;
  }

  private perfEvent(name: string): PerfEvent {
    const o = this.objects.get(name);
    if (o === undefined || o.kind !== 'perf') throw new Error(`no perf event object '${name}'`);
    return o.ev;
  }

  /** A value that names objects: their ids (BAD_ID for "@#badfd"), 4 bytes each. */
  private refBytes(v: string): Uint8Array {
    const names = v.split(',');
    const out = new Uint8Array(4 * names.length);
    names.forEach((n, i) => {
      const o = n === '@#badfd' ? undefined : this.objects.get(n.slice(1));
      const id = o === undefined ? BAD_ID : o.kind === 'map' ? o.map.id : o.kind === 'prog' ? o.prog.id : o.ev.id;
      out.set([id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24], 4 * i);
    });
    return out;
  }

  private createSpec(def: MapDef): MapSpec {
    const spec: MapSpec = {
      type: def.type,
      keySize: def.keySize,
      valueSize: def.valueSize,
      maxEntries: def.maxEntries,
      flags: def.flags === undefined ? 0 : parseFlags(def.flags, true),
      name: mapName(def),
      mapExtra: def.mapExtra ?? 0,
    };
    if (def.lockOffset !== undefined) spec.value = lockLayout(def.valueSize, def.lockOffset);
    if (def.inner !== undefined) spec.innerMap = this.objectMap(def.inner);
    return spec;
  }

  /** A recipe program: count, tail calls in order, return (as the native helper builds it in BPF). */
  private recipe(name: string, p: ProgDef): BpfProg {
    const count = p.count === undefined ? null : this.objectMap(p.count);
    const tails = (p.tailCalls ?? []).map((t) => ({ map: t.map === '-' ? this.map! : this.objectMap(t.map), index: t.index }));
    const run = (ctx: object): unknown => {
      if (count !== null) {
        const v = bpf_map_lookup_elem(count, 0);
        if (v !== null) v.setU64(0, v.getU64(0) + 1);
      }
      for (const t of tails) {
        const tc = bpf_tail_call(ctx, t.map, t.index);
        if (tc !== undefined) return tc;
      }
      return p.ret;
    };
    const prog: BpfProg = { id: idrAlloc(), type: PROG_TYPES[p.type], name, run };
    // The verifier makes a program that tail-calls through a prog array its owner's type (or refuses it).
    for (const t of tails) {
      if (t.map.attr.type === MAP_TYPE_NAMES.prog_array && !progArrayClaimOwner(t.map, prog.type)) {
        throw new BpfError(name, 'BPF_PROG_LOAD', -22, 'the prog array holds programs of another type');
      }
    }
    idrAdd(prog.id, 'prog', prog);
    return prog;
  }

  private object(step: Step): Outcome {
    const name = step.name!;
    if (step.map !== undefined) {
      this.objects.set(name, { kind: 'map', map: createMap(this.createSpec(step.map), { cpus: this.cpus }) });
      this.defs.set(name, step.map);
    } else if (step.prog !== undefined) {
      this.objects.set(name, { kind: 'prog', prog: this.recipe(name, step.prog as ProgDef) });
    } else {
      const p: PerfEventDef = step.perfEvent!;
      const ev = openPerfEvent({
        cpu: p.cpu, pages: p.pages ?? 8, overwrite: p.overwrite === true, config: p.config ?? 'bpf_output',
        ...(p.wakeupWatermark !== undefined ? { wakeupWatermark: p.wakeupWatermark } : { wakeupEvents: p.wakeupEvents ?? 1 }),
      });
      this.objects.set(name, { kind: 'perf', ev });
    }
    const o = this.objects.get(name)!;
    this.names.set(o.kind === 'map' ? o.map.id : o.kind === 'prog' ? o.prog.id : o.ev.id, name);
    return { ok: true };
  }

  private perf(step: Step): Outcome {
    const ev = this.perfEvent(step.on!);
    switch (step.op) {
      case 'perfRead': {
        const head = ev.dataHead;
        const tail = ev.dataTail;
        const bytes: number[] = [];
        let pos = tail;
        for (let k = 0; pos !== head && (step.max === undefined || k < step.max); k++) {
          const at = pos % ev.size;
          const size = ev.data[(at + 6) % ev.size]! | (ev.data[(at + 7) % ev.size]! << 8);
          for (let b = 0; b < size; b++) bytes.push(ev.data[(pos + b) % ev.size]!);
          pos += size;
        }
        ev.dataTail = pos;
        return { perf: { head, tail, records: perfRecords(Uint8Array.from(bytes), ev.id) } };
      }
      case 'perfRaw':
        return { perf: { head: ev.dataHead, tail: ev.dataTail, data: normalizeRing(hexOf(ev.data), ev.id) } };
      case 'perfPoll':
        return { readable: ev.poll() };
      default:
        switch (step.action) {
          case 'enable': ev.enable(); break;
          case 'disable': ev.disable(); break;
          case 'pause': ev.pauseOutput(true); break;
          case 'resume': ev.pauseOutput(false); break;
        }
        return { ok: true };
    }
  }

  private play(step: Step, def: MapDef): Outcome {
    switch (step.op) {
      case 'create':
        this.map = null;
        this.map = createMap(this.createSpec(def), { cpus: this.cpus });
        return { ok: true };
      case 'object': return this.object(step);
      case 'progRun': {
        const o = this.objects.get(step.prog as string);
        if (o === undefined || o.kind !== 'prog') throw new Error(`no program object '${String(step.prog)}'`);
        return { retval: Number(this.onCpu(step.cpu, () => bpfProgRun(o.prog.run!, {}))) >>> 0 };
      }
      case 'perfRead': case 'perfRaw': case 'perfPoll': case 'perfCtl': return this.perf(step);
      case 'dump': {
        const entries = this.map!.dump();
        return normalizeDump(entries, formatDump(entries), def, this.names);
      }
    }
    const map = step.on !== undefined ? this.objectMap(step.on) : this.map!;
    return normalizeRefs(this.elem(map, step, def), def, this.names);
  }

  private elem(map: BpfMap, step: Step, def: MapDef): Outcome {
    map.userCpu = step.cpu ?? 0;
    const key = keyBytes(step.key, def.keySize);
    const flags = elemFlags(step);
    if (BATCH_OPS.includes(step.op)) return this.batch(map, step, def, flags);
    switch (step.op) {
      case 'progLookup':
        return this.onCpu(step.cpu, () => {
          const v = bpf_map_lookup_elem(map, key!);
          if (v === null) return { errno: 'ENOENT' };
          if (step.innerKey === undefined) return { value: hexOf(v.bytes) };
          const innerDef = this.defs.get(def.inner ?? '');
          if (innerDef === undefined) throw new Error('progLookup with innerKey needs a map of maps whose template is an object map');
          const iv = bpf_map_lookup_elem(v as unknown as BpfMap, keyBytes(step.innerKey, innerDef.keySize)!);
          return iv === null ? { inner: 'ENOENT' } : { value: hexOf(iv.bytes) };
        });
      case 'perfOutput':
        return this.onCpu(step.cpu, () => {
          const r = bpf_perf_event_output({}, map, perfFlags(step.flags!), bytesOf(step.data!), step.size);
          return r === 0 ? { ok: true } : { errno: errnoNameOf(-r) };
        });
      case 'update':
        map.update(key, isRef(step.value) ? this.refBytes(step.value) : userValue(step, def, this.cpus), flags);
        return { ok: true };
      case 'lookup': {
        const initial = step.value !== undefined ? bytesOf(step.value) : undefined;
        return readOutcome(map.lookup(key, flags, initial), def, this.cpus, step.padding === true);
      }
      case 'lookupAndDelete':
        return readOutcome(map.lookupAndDelete(key, flags), def, this.cpus, step.padding === true);
      case 'delete':
        map.delete(key);
        return { ok: true };
      case 'getNextKey':
        return { key: hexOf(map.getNextKey(key)) };
      case 'freeze':
        map.freeze();
        return { ok: true };
      case 'info': {
        const i = map.info();
        return infoOutcome({ ...i, type: i.typeName });
      }
      case 'walk':
        return walkSync(def, (k) => this.step({ op: 'getNextKey', key: k === null ? null : hexOf(k), cpu: step.cpu, on: step.on }, def));
    }
    throw new Error(`unknown op ${step.op}`);
  }

  private batch(map: BpfMap, step: Step, def: MapDef, flags: number): Outcome {
    try {
      if (step.op === 'updateBatch' && (step.values ?? []).some((v) => isRef(v))) {
        const { keys } = batchBuffers({ ...step, values: [] }, def, this.cpus);
        const values = this.refBytes(step.values!.join(','));
        const count = map.updateBatch(keys, values, { count: step.count ?? (step.keys ?? []).length, elemFlags: flags });
        return batchOutcome(step, def, this.cpus, null, count, null);
      }
      if (step.op === 'lookupBatch' || step.op === 'lookupAndDeleteBatch') {
        const cursor = cursorBytes(step.inBatch);
        const options = { elemFlags: flags, flags: step.batchFlags ?? 0 };
        const r: BatchResult = step.op === 'lookupBatch' ? map.lookupBatch(cursor, step.count!, options) : map.lookupAndDeleteBatch(cursor, step.count!, options);
        return batchOutcome(step, def, this.cpus, r.end ? 'ENOENT' : null, r.count, r.outBatch, r.keys, r.values);
      }
      const { keys, values } = batchBuffers(step, def, this.cpus);
      const options = { count: step.count ?? (step.keys ?? []).length, elemFlags: flags };
      const count = step.op === 'updateBatch' ? map.updateBatch(keys, values, options) : map.deleteBatch(keys, options);
      return batchOutcome(step, def, this.cpus, null, count, null);
    } catch (e) {
      if (e instanceof BatchError) return batchOutcome(step, def, this.cpus, e.errno, e.count, e.outBatch);
      throw e;
    }
  }
}
