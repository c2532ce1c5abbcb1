// The two players of a step: the live kernel (bpftool, or our native helper where bpftool cannot
// say it) and percpu-maps. Both answer with an Outcome in the same canonical form.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../maps/errno.js';
import { array, bpf_spin_lock, struct, u8, type FieldType } from '../maps/layout.js';
import type { MapSpec } from '../maps/bpf.js';
import { createMap, type BpfMap } from '../maps/syscall.js';
import { BatchError, type BatchResult } from '../maps/batch.js';
import { bpf_map_lookup_elem } from '../maps/helpers.js';
import { setSmpProcessorId, smpProcessorId } from '../smp/smp.js';
import { roundUp8 } from '../maps/limits.js';
import { BPF_F_RDONLY, BPF_F_WRONLY, BPF_OBJ_NAME_LEN, MAP_TYPE_NAMES } from '../maps/uapi.js';
import { Bpftool, DriverError } from './bpftool.js';
import { BPFFS, PIN_PREFIX } from './env.js';
import type { NativeHelper } from './native.js';
import {
  BATCH_OPS, bytesOf, hexOf, infoOutcome, isPercpuType, keyBytes, parseFlags, userValue, type BatchOutcome, type MapDef, type Outcome, type Step,
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

// ---- batch commands ----

/** A batch lookup's cursor as bytes: a number is a little-endian u32 (an array key or a bucket index). */
export function cursorBytes(inBatch: string | number | null | undefined): Uint8Array | null {
  if (inBatch === null || inBatch === undefined) return null;
  return typeof inBatch === 'string' ? bytesOf(inBatch) : keyBytes(inBatch, 4);
}

/** Bytes of out_batch: a u32 bucket index for the hash family, a key for arrays. */
export function outBatchSize(def: MapDef): number {
  return def.type === 'array' || def.type === 'percpu_array' ? def.keySize : 4;
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
  if (step.op === 'create') {
    const flags = def.flags === undefined ? 0 : parseFlags(def.flags, true);
    if (def.lockOffset !== undefined) return 'a bpf_spin_lock value needs BTF';
    if (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) return 'BPF_F_RDONLY/BPF_F_WRONLY live on the created fd';
    const name = mapName(def);
    if (name === '' || name.length >= BPF_OBJ_NAME_LEN) return 'bpftool requires a name and libbpf truncates long ones';
    if (def.mapExtra) return 'bpftool has no map_extra';
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
    if (!this.nativeOpen) {
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
    if (step.op === 'walk') return walk(def, (key) => this.step({ op: 'getNextKey', key: key === null ? null : hexOf(key), cpu: step.cpu }, def));
    const reason = nativeReason(step, def, this.fdBound);
    this.driverSteps[reason ? 'native' : 'bpftool']++;
    if (step.op === 'create') return this.create(def, reason !== null);
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
      case 'progLookup': {
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
        const { keys, values } = batchBuffers(step, def, this.cpus);
        const count = step.count ?? (step.keys ?? []).length;
        const r = await n.writeBatch(step.op === 'updateBatch' ? values : null, keys, count, flags, step.batchFlags ?? 0);
        return batchOutcome(step, def, this.cpus, r.errno, r.count, null);
      }
      case 'update': return n.update(key, userValue(step, def, this.cpus), flags);
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
        mapName(def), def.lockOffset ?? -1, def.mapExtra ?? 0);
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

export class OursSide {
  readonly cpus: number;
  private map: BpfMap | null = null;

  constructor(cpus: number) {
    this.cpus = cpus;
  }

  get hasMap(): boolean {
    return this.map !== null;
  }

  step(step: Step, def: MapDef): Outcome {
    try {
      return this.play(step, def);
    } catch (e) {
      if (e instanceof BpfError) return { errno: e.errno };
      return { threw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }

  private play(step: Step, def: MapDef): Outcome {
    if (step.op === 'create') {
      this.map = null;
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
      this.map = createMap(spec, { cpus: this.cpus });
      return { ok: true };
    }
    const map = this.map!;
    map.userCpu = step.cpu ?? 0;
    const key = keyBytes(step.key, def.keySize);
    const flags = elemFlags(step);
    if (BATCH_OPS.includes(step.op)) return this.batch(map, step, def, flags);
    switch (step.op) {
      case 'progLookup': {
        const saved = smpProcessorId;
        setSmpProcessorId(step.cpu ?? 0);
        try {
          const v = bpf_map_lookup_elem(map, key!);
          return v === null ? { errno: 'ENOENT' } : { value: hexOf(v.bytes) };
        } finally {
          setSmpProcessorId(saved);
        }
      }
      case 'update':
        map.update(key, userValue(step, def, this.cpus), flags);
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
        return walkSync(def, (k) => this.step({ op: 'getNextKey', key: k === null ? null : hexOf(k), cpu: step.cpu }, def));
    }
    throw new Error(`unknown op ${step.op}`);
  }

  private batch(map: BpfMap, step: Step, def: MapDef, flags: number): Outcome {
    try {
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
