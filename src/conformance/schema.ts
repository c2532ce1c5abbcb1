// Conformance scenarios as data: the file format, and its validation with errors that name the
// file, the step and the field.
//
// A scenario file (JSON) is
//   { "description": "...",
//     "recorded": { "kernel": "6.18.44", "cpus": 2, "bpftool": "7.1.0" },   <- written by --record
//     "steps": [ { "op": "create", "map": { "type": "array", "keySize": 4, ... }, "kernel": {...} },
//                { "op": "update", "key": 1, "value": "2a000000", "flags": "BPF_NOEXIST", "kernel": {...} }, ... ] }
// Keys and values are lower-case hex strings (a number is a little-endian key of key_size bytes;
// null is a NULL key pointer). Ops are the user-space calls (create, update, lookup, delete,
// getNextKey, lookupAndDelete, freeze) plus two composites: walk (get_next_key from NULL to the
// end: the kernel's order in one outcome) and info (bpf_map_info and the frozen flag). A step may
// name the CPU it runs on. `kernel` is the outcome the live kernel gave, written by record mode,
// never by hand.
//
// progLookup is a program's bpf_map_lookup_elem on the step's CPU (the kernel side runs a tiny
// program with BPF_PROG_TEST_RUN): it sets an LRU element's ref bit and reads this CPU's slot of a
// per-CPU map. The batch ops are BPF_MAP_*_BATCH: lookupBatch / lookupAndDeleteBatch take
// "inBatch" (the cursor: a u32 bucket index for hashes, a key for arrays; a number is 4 bytes
// little-endian; null is a NULL in_batch) and "count"; updateBatch takes "keys" and "values" (one
// per key), deleteBatch "keys"; "count" defaults to the number of keys. "flags" is elem_flags,
// "batchFlags" the batch's flags word. Their outcome is { batch: { errno?, count, outBatch?,
// keys?, values? } }: the call's errno (absent for success), the count the kernel left in
// attr.batch.count, out_batch when the kernel wrote it, and for lookups that succeeded or ended
// with ENOENT the keys and values copied (per-CPU values: every CPU's value_size bytes in a row).
//
// Objects (maps, programs, perf events a scenario names): an "object" step makes one under a
// "name" (map: a MapDef; prog: a program type and a recipe; perfEvent: a perf event on a CPU). A
// create may name an object map as its inner map template ("inner"); a step may work on an object
// map instead of the scenario's map ("on"); a value "@name" stands for the object (the kernel gets
// its fd, percpu-maps its id; "@#badfd" is an fd that is not open), and a lookup that returns an
// object's id gives { ref: name }. A recipe program counts (adds 1 to the u64 at key 0 of an object
// map), tail-calls into prog array slots in order ("-": the scenario's map) and returns "ret" when
// every tail call fell through; progRun runs it (BPF_PROG_TEST_RUN) and gives { retval }.
// perfOutput is a program's bpf_perf_event_output(ctx, the map, flags, data, size) on a CPU;
// perfRead reads a perf event's records from data_tail (and moves data_tail past them), perfRaw
// its whole ring, perfPoll whether poll(2) says it is readable, perfCtl its ioctls. dump is
// `bpftool map dump` (JSON and text) of the scenario's map.

import { mapOpsFor } from '../maps/bpf-types.js';
import { ERRNO, type ErrnoName } from '../maps/errno.js';
import * as uapi from '../maps/uapi.js';
import { isU32, roundUp8, U32_MAX } from '../maps/limits.js';
import { MAP_TYPE_NAMES, type MapTypeName } from '../maps/uapi.js';

export const OPS = ['create', 'update', 'lookup', 'delete', 'getNextKey', 'lookupAndDelete', 'freeze', 'walk', 'info',
  'progLookup', 'lookupBatch', 'lookupAndDeleteBatch', 'updateBatch', 'deleteBatch',
  'object', 'progRun', 'perfOutput', 'perfRead', 'perfRaw', 'perfPoll', 'perfCtl', 'dump'] as const;
export type Op = (typeof OPS)[number];

/** A map to create: the fields of BPF_MAP_CREATE, plus where the value's bpf_spin_lock sits. */
export interface MapDef {
  type: MapTypeName;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number | string;
  /** Default "conf". Names bpftool cannot pass unchanged (empty, 16+ characters) go through the native helper. */
  name?: string;
  mapExtra?: number;
  /** Offset of a bpf_spin_lock in the value (a BTF struct is built for it); absent: no BTF. */
  lockOffset?: number;
  /** Maps of maps: the object map that is the inner map template. */
  inner?: string;
}

/** Program types an object program may have (the kernel's BPF_PROG_TYPE_* of those SEC() names). */
export const PROG_TYPES = { raw_tracepoint: 17, kprobe: 2, tracepoint: 5, xdp: 6, socket: 1, tc: 3 } as const;
export type ProgTypeName = keyof typeof PROG_TYPES;

/** A program made from a recipe: count, tail calls in order, return. */
export interface ProgDef {
  type: ProgTypeName;
  /** An object map whose u64 at key 0 the program adds 1 to first. */
  count?: string;
  /** Tail calls tried in order: the prog array (an object map, or "-" for the scenario's map) and the index. */
  tailCalls?: { map: string; index: number }[];
  /** What the program returns when every tail call fell through. */
  ret: number;
}

/** A PERF_COUNT_SW_BPF_OUTPUT (or dummy) software event on a CPU, its ring mmap()ed and the event enabled. */
export interface PerfEventDef {
  cpu: number;
  pages?: number;
  wakeupEvents?: number;
  wakeupWatermark?: number;
  overwrite?: boolean;
  config?: 'bpf_output' | 'dummy';
}

/** A record read from a perf ring: a sample's whole record as hex, or a lost record's count. */
export type PerfRecordOutcome =
  | { type: 'sample'; bytes: string }
  | { type: 'lost'; misc: number; size: number; id: string; lost: number }
  | { type: 'other'; bytes: string };

/** What one step did: success (with bytes for reads) or an errno. */
export type Outcome =
  | { ok: true }
  | { errno: string }
  | { value: string }
  | { values: string[] }
  | { key: string }
  /** BPF_OBJ_GET_INFO_BY_FD (mapExtra only when not 0), and whether the map is frozen. */
  | { info: MapInfoOutcome }
  /** A walk: every key get_next_key gave from NULL, and the errno that ended it when not ENOENT. */
  | { keys: string[]; errno?: string }
  /** A batch command: its errno (absent: success), attr.batch.count, out_batch if written, what a lookup copied. */
  | { batch: BatchOutcome }
  /** A lookup that returned the id of an object the scenario named. */
  | { ref: string }
  /** A program's return value (progRun). */
  | { retval: number }
  /** A program's lookup through a map of maps that found the inner map but not the key in it. */
  | { inner: string }
  /** perfRead (records) and perfRaw (data: hex, a lost record's event id as <self>): the ring's positions before the read. */
  | { perf: { head: number; tail: number; records?: PerfRecordOutcome[]; data?: string } }
  /** perfPoll. */
  | { readable: boolean }
  /** bpftool map dump: the JSON entries (object ids as @name) and the text. */
  | { dump: { json: unknown[]; text: string } }
  /** Ours only: something other than a BpfError was thrown (always a difference). */
  | { threw: string };

export interface BatchOutcome {
  errno?: string;
  count: number;
  outBatch?: string;
  keys?: string[];
  values?: string[];
}

export const BATCH_OPS: readonly Op[] = ['lookupBatch', 'lookupAndDeleteBatch', 'updateBatch', 'deleteBatch'];

export interface MapInfoOutcome {
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra?: number;
  name: string;
  frozen: boolean;
}

/** The canonical info outcome (fixed key order, mapExtra left out when 0). */
export function infoOutcome(i: { type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; mapExtra: number; name: string; frozen: boolean }): Outcome {
  const info: MapInfoOutcome = {
    type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, flags: i.flags,
    ...(i.mapExtra ? { mapExtra: i.mapExtra } : {}), name: i.name, frozen: i.frozen,
  };
  return { info };
}

export interface Step {
  op: Op;
  map?: MapDef;
  key?: string | number | null;
  /**
   * Updates: value_size bytes (per-CPU maps: one CPU's value, written to every CPU). Lookups: the
   * buffer the kernel reads in first (a bloom filter tests it).
   */
  value?: string;
  /** Per-CPU maps: one value per CPU, repeated over the CPUs when the machine has more. */
  values?: string[];
  flags?: number | string;
  /** The CPU the step runs on (taskset for bpftool, sched_setaffinity in the helper). */
  cpu?: number;
  /** Per-CPU reads: compare whole round_up(value_size, 8) slots, padding included. */
  padding?: boolean;
  /** Free text: why the step is there. */
  note?: string;
  /** Batch lookups: the cursor (hex, a number as 4 little-endian bytes, or null). */
  inBatch?: string | number | null;
  /** Batch ops: attr.batch.count (default: the number of keys). */
  count?: number;
  /** updateBatch / deleteBatch: the keys. */
  keys?: (string | number)[];
  /** Batch ops: attr.batch.flags. */
  batchFlags?: number;
  /** object: the object's name. */
  name?: string;
  /** object: a program. progRun: the program object to run. */
  prog?: ProgDef | string;
  /** object: a perf event. */
  perfEvent?: PerfEventDef;
  /** Work on this object map (or perf event, for the perf ops) instead of the scenario's map. */
  on?: string;
  /** progLookup through a map of maps: the key looked up in the inner map. */
  innerKey?: string | number;
  /** perfOutput: the bytes the program outputs (hex), and how many of them (default: all). */
  data?: string;
  size?: number;
  /** perfRead: at most this many records (default: all). */
  max?: number;
  /** perfCtl: enable, disable, pause, resume. */
  action?: 'enable' | 'disable' | 'pause' | 'resume';
  kernel?: Outcome;
}

export interface Recorded {
  kernel: string;
  cpus: number;
  bpftool: string;
}

export interface Scenario {
  /** The file's path, as given. */
  file: string;
  /** The file's base name without .json. */
  name: string;
  description: string;
  recorded?: Recorded;
  steps: Step[];
}

/** A malformed scenario: names the file, the step (1-based; 0 for the file itself) and the field. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  readonly file: string;
  readonly step: number;
  readonly field: string;
  constructor(file: string, step: number, field: string, why: string) {
    super(`${file}: ${step > 0 ? `step ${step}` : 'file'}${field ? `, field '${field}'` : ''}: ${why}`);
    this.file = file;
    this.step = step;
    this.field = field;
  }
}

const STEP_FIELDS = new Set(['op', 'map', 'key', 'value', 'values', 'flags', 'cpu', 'padding', 'note', 'kernel', 'inBatch', 'count', 'keys', 'batchFlags',
  'name', 'prog', 'perfEvent', 'on', 'innerKey', 'data', 'size', 'max', 'action']);
const MAP_FIELDS = new Set(['type', 'keySize', 'valueSize', 'maxEntries', 'flags', 'name', 'mapExtra', 'lockOffset', 'inner']);
/** A value that stands for objects: "@name" (several, comma-separated, in batch values). */
export const REF_RE = /^@[#A-Za-z0-9_.-]+(,@[#A-Za-z0-9_.-]+)*$/;
const FILE_FIELDS = new Set(['description', 'recorded', 'steps']);
const ELEM_FLAGS: Record<string, number> = { BPF_ANY: 0, BPF_NOEXIST: 1, BPF_EXIST: 2, BPF_F_LOCK: 4 };
const HEX_RE = /^([0-9a-f]{2})*$/;

/** Flag names of uapi.ts (BPF_F_*) and the element-op names, joined by '|'; or a number. */
export function parseFlags(v: number | string, create: boolean): number {
  if (typeof v === 'number') return v;
  let x = 0;
  for (const part of v.split('|').map((s) => s.trim())) {
    const n = !create && part in ELEM_FLAGS ? ELEM_FLAGS[part]
      : part.startsWith('BPF_F_') && typeof (uapi as unknown as Record<string, unknown>)[part] === 'number' ? (uapi as unknown as Record<string, number>)[part]
      : /^(0x[0-9a-f]+|\d+)$/i.test(part) ? Number(part) : undefined;
    if (n === undefined) throw new Error(`unknown flag '${part}'`);
    x += n & ~x;
  }
  return x;
}

/** A per-CPU type, as its ops table says (a value is one slot per CPU on the user-space face). */
export function isPercpuType(type: MapTypeName): boolean {
  return mapOpsFor(MAP_TYPE_NAMES[type])?.percpu === true;
}

export function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function bytesOf(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** A step's key as bytes (null stays null). */
export function keyBytes(key: string | number | null | undefined, keySize: number): Uint8Array | null {
  if (key === null || key === undefined) return null;
  if (typeof key === 'string') return bytesOf(key);
  const b = new Uint8Array(keySize);
  let x = key;
  for (let i = 0; i < keySize; i++) {
    b[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return b;
}

/**
 * The user-space value of an update: value_size bytes, or for per-CPU maps cpus slots of
 * round_up(value_size, 8) bytes (a shorter per-CPU value leaves its padding zero).
 */
export function userValue(step: Step, map: MapDef, cpus: number): Uint8Array {
  if (!isPercpuType(map.type)) return bytesOf(step.value!);
  const stride = roundUp8(map.valueSize);
  const per = step.values ?? [step.value!];
  const out = new Uint8Array(stride * cpus);
  for (let c = 0; c < cpus; c++) out.set(bytesOf(per[c % per.length]!), c * stride);
  return out;
}

/** Parse and validate a scenario file's text. Throws ScenarioError. */
export function parseScenario(file: string, text: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, 0, '', `not valid JSON (${(e as Error).message})`);
  }
  return validateScenario(file, json);
}

export function validateScenario(file: string, json: unknown): Scenario {
  const fail = (step: number, field: string, why: string): never => {
    throw new ScenarioError(file, step, field, why);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(0, '', 'must be a JSON object { "description", "steps" }');
  const top = json as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!FILE_FIELDS.has(k)) fail(0, k, `unknown field; expected one of ${[...FILE_FIELDS].join(', ')}`);
  if (typeof top.description !== 'string' || top.description === '') fail(0, 'description', 'must be a non-empty string saying what the scenario checks');
  let recorded: Recorded | undefined;
  if (top.recorded !== undefined) {
    const r = top.recorded as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || typeof r.kernel !== 'string' || typeof r.bpftool !== 'string' ||
        !Number.isInteger(r.cpus) || (r.cpus as number) < 1) {
      fail(0, 'recorded', 'must be { "kernel": string, "cpus": integer >= 1, "bpftool": string } (written by --record)');
    }
    recorded = { kernel: r.kernel as string, cpus: r.cpus as number, bpftool: r.bpftool as string };
  }
  if (!Array.isArray(top.steps) || top.steps.length === 0) fail(0, 'steps', 'must be a non-empty array of steps');

  const steps: Step[] = [];
  let map: MapDef | null = null;
  /** The objects named so far: their kind, and for maps their definition. */
  const objects = new Map<string, { kind: 'map' | 'prog' | 'perf'; def?: MapDef }>();
  (top.steps as unknown[]).forEach((raw, i) => {
    const n = i + 1;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(n, '', 'must be an object { "op", ... }');
    const s = raw as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!STEP_FIELDS.has(k)) fail(n, k, `unknown field; expected one of ${[...STEP_FIELDS].join(', ')}`);
    if (!OPS.includes(s.op as Op)) fail(n, 'op', `must be one of ${OPS.join(', ')}, got ${JSON.stringify(s.op)}`);
    const op = s.op as Op;
    const allowed: Record<Op, string[]> = {
      create: ['map'],
      update: ['key', 'value', 'values', 'flags', 'cpu', 'on'],
      lookup: ['key', 'value', 'flags', 'cpu', 'padding', 'on'],
      delete: ['key', 'cpu', 'on'],
      getNextKey: ['key', 'cpu', 'on'],
      lookupAndDelete: ['key', 'flags', 'cpu', 'padding', 'on'],
      freeze: ['cpu', 'on'],
      walk: ['cpu', 'on'],
      info: ['on'],
      progLookup: ['key', 'cpu', 'innerKey', 'on'],
      lookupBatch: ['inBatch', 'count', 'flags', 'batchFlags', 'cpu', 'padding', 'on'],
      lookupAndDeleteBatch: ['inBatch', 'count', 'flags', 'batchFlags', 'cpu', 'padding', 'on'],
      updateBatch: ['keys', 'values', 'count', 'flags', 'batchFlags', 'cpu', 'on'],
      deleteBatch: ['keys', 'count', 'flags', 'batchFlags', 'cpu', 'on'],
      object: ['name', 'map', 'prog', 'perfEvent'],
      progRun: ['prog', 'cpu'],
      perfOutput: ['cpu', 'flags', 'data', 'size', 'on'],
      perfRead: ['on', 'max'],
      perfRaw: ['on'],
      perfPoll: ['on'],
      perfCtl: ['on', 'action'],
      dump: [],
    };
    for (const k of Object.keys(s)) {
      if (k !== 'op' && k !== 'note' && k !== 'kernel' && !allowed[op].includes(k)) fail(n, k, `is not a field of a ${op} step`);
    }
    if (s.note !== undefined && typeof s.note !== 'string') fail(n, 'note', 'must be a string');
    if (s.cpu !== undefined && (!Number.isInteger(s.cpu) || (s.cpu as number) < 0 || (s.cpu as number) > 4095)) {
      fail(n, 'cpu', `must be a CPU number from 0 to 4095, got ${JSON.stringify(s.cpu)}`);
    }
    if (s.padding !== undefined && typeof s.padding !== 'boolean') fail(n, 'padding', 'must be true or false');
    const needObject = (field: string, v: unknown, kinds: readonly string[]): void => {
      if (typeof v !== 'string' || !objects.has(v) || !kinds.includes(objects.get(v)!.kind)) {
        fail(n, field, `must name a ${kinds.join(' or ')} object made by an earlier object step, got ${JSON.stringify(v)}`);
      }
    };
    if (op === 'object' && (typeof s.name !== 'string' || !/^[A-Za-z0-9_.-]{1,31}$/.test(s.name) || objects.has(s.name))) {
      fail(n, 'name', 'must be a new name of 1 to 31 characters of [A-Za-z0-9_.-]');
    }
    if (op === 'create' || (op === 'object' && s.map !== undefined)) {
      const def = validateMap(s.map, (field, why) => fail(n, `map.${field}`, why));
      if (def.inner !== undefined) needObject('map.inner', def.inner, ['map']);
      if (op === 'create') map = def;
      else objects.set(s.name as string, { kind: 'map', def });
    }
    if (op === 'object') {
      const kinds = ['map', 'prog', 'perfEvent'].filter((k) => s[k] !== undefined);
      if (kinds.length !== 1) fail(n, 'map', 'an object step takes exactly one of "map", "prog", "perfEvent"');
      if (s.prog !== undefined) {
        validateProg(s.prog, (field, why) => fail(n, `prog.${field}`, why), (field, v) => {
          if (v !== '-') needObject(`prog.${field}`, v, ['map']);
        });
        objects.set(s.name as string, { kind: 'prog' });
      }
      if (s.perfEvent !== undefined) {
        validatePerfEvent(s.perfEvent, (field, why) => fail(n, `perfEvent.${field}`, why));
        objects.set(s.name as string, { kind: 'perf' });
      }
    } else if (op === 'progRun') {
      needObject('prog', s.prog, ['prog']);
    } else if (op === 'perfRead' || op === 'perfRaw' || op === 'perfPoll' || op === 'perfCtl') {
      needObject('on', s.on, ['perf']);
      if (op === 'perfRead' && s.max !== undefined && !(Number.isInteger(s.max) && (s.max as number) >= 0)) fail(n, 'max', 'must be a count of records');
      if (op === 'perfCtl' && !['enable', 'disable', 'pause', 'resume'].includes(s.action as string)) fail(n, 'action', 'must be enable, disable, pause or resume');
    } else if (op !== 'create') {
      if (s.on !== undefined) needObject('on', s.on, ['map']);
      const target = s.on !== undefined ? objects.get(s.on as string)!.def! : map;
      if (target === null) fail(n, 'op', `a ${op} step needs a create step before it`);
      if (op === 'perfOutput') {
        if (typeof s.data !== 'string' || !HEX_RE.test(s.data) || s.data.length > 512) fail(n, 'data', 'must be hex of at most 256 bytes');
        if (s.size !== undefined && !(Number.isInteger(s.size) && (s.size as number) >= 0 && (s.size as number) <= (s.data as string).length / 2)) {
          fail(n, 'size', 'must be at most the length of data');
        }
        if (s.flags === undefined || !(typeof s.flags === 'number' || typeof s.flags === 'string')) fail(n, 'flags', 'must be a number or BPF_F_CURRENT_CPU');
        try { perfFlags(s.flags as number | string); } catch (e) { fail(n, 'flags', (e as Error).message); }
      } else if (op !== 'dump') {
        validateOpFields(s, op, target!, (field, why) => fail(n, field, why));
      }
    }
    if (s.kernel !== undefined) validateOutcome(s.kernel, (why) => fail(n, 'kernel', why));
    steps.push(s as unknown as Step);
  });
  const base = file.replace(/\\/g, '/').split('/').pop()!;
  return { file, name: base.replace(/\.json$/, ''), description: top.description as string, recorded, steps };
}

/** bpf_perf_event_output's flags: a number, a hex string, or BPF_F_CURRENT_CPU. */
export function perfFlags(v: number | string): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`must be a non-negative integer, got ${v}`);
    return v;
  }
  if (v === 'BPF_F_CURRENT_CPU') return 0xffffffff;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  throw new Error(`must be a number, a hex string or BPF_F_CURRENT_CPU, got ${JSON.stringify(v)}`);
}

function validateProg(raw: unknown, fail: (field: string, why: string) => never, mapRef: (field: string, v: unknown) => void): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('', 'must be { "type", "ret", "count"?, "tailCalls"? }');
  const p = raw as Record<string, unknown>;
  for (const k of Object.keys(p)) if (!['type', 'count', 'tailCalls', 'ret'].includes(k)) fail(k, 'unknown field; expected type, count, tailCalls, ret');
  if (!(typeof p.type === 'string' && p.type in PROG_TYPES)) fail('type', `must be one of ${Object.keys(PROG_TYPES).join(', ')}`);
  if (!Number.isInteger(p.ret) || (p.ret as number) < 0 || (p.ret as number) > 0x7fffffff) fail('ret', 'must be a non-negative s32');
  if (p.count !== undefined) mapRef('count', p.count);
  if (p.tailCalls !== undefined) {
    if (!Array.isArray(p.tailCalls) || p.tailCalls.length > 40) fail('tailCalls', 'must be an array of at most 40 { map, index }');
    (p.tailCalls as unknown[]).forEach((t, i) => {
      const tc = t as Record<string, unknown>;
      if (tc === null || typeof tc !== 'object') fail(`tailCalls[${i}]`, 'must be { map, index }');
      mapRef(`tailCalls[${i}].map`, tc.map);
      if (!Number.isInteger(tc.index) || (tc.index as number) < -0x80000000 || (tc.index as number) > 0x7fffffff) fail(`tailCalls[${i}].index`, 'must be an s32');
    });
  }
}

function validatePerfEvent(raw: unknown, fail: (field: string, why: string) => never): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('', 'must be { "cpu", "pages"?, ... }');
  const p = raw as Record<string, unknown>;
  for (const k of Object.keys(p)) if (!['cpu', 'pages', 'wakeupEvents', 'wakeupWatermark', 'overwrite', 'config'].includes(k)) fail(k, 'unknown field');
  if (!Number.isInteger(p.cpu) || (p.cpu as number) < 0) fail('cpu', 'must be a CPU number');
  if (p.pages !== undefined && !(Number.isInteger(p.pages) && (p.pages as number) > 0 && ((p.pages as number) & ((p.pages as number) - 1)) === 0 && (p.pages as number) <= 64)) {
    fail('pages', 'must be a power of two up to 64');
  }
  for (const k of ['wakeupEvents', 'wakeupWatermark']) if (p[k] !== undefined && !isU32(p[k])) fail(k, 'must be a u32');
  if (p.overwrite !== undefined && typeof p.overwrite !== 'boolean') fail('overwrite', 'must be true or false');
  if (p.config !== undefined && p.config !== 'bpf_output' && p.config !== 'dummy') fail('config', 'must be bpf_output or dummy');
}

function validateMap(raw: unknown, fail: (field: string, why: string) => never): MapDef {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('', 'a create step needs "map": { "type", "keySize", "valueSize", "maxEntries" }');
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!MAP_FIELDS.has(k)) fail(k, `unknown field; expected one of ${[...MAP_FIELDS].join(', ')}`);
  if (typeof m.type !== 'string' || !(m.type in MAP_TYPE_NAMES)) fail('type', `must be one of ${Object.keys(MAP_TYPE_NAMES).join(', ')}, got ${JSON.stringify(m.type)}`);
  for (const f of ['keySize', 'valueSize', 'maxEntries'] as const) {
    const v = m[f];
    if (!isU32(v)) fail(f, `must be an integer from 0 to ${U32_MAX}, got ${JSON.stringify(v)}`);
  }
  if (m.flags !== undefined) {
    if (typeof m.flags === 'number') {
      if (!isU32(m.flags)) fail('flags', `must be a u32, got ${m.flags}`);
    } else if (typeof m.flags === 'string') {
      try { parseFlags(m.flags, true); } catch (e) { fail('flags', `${(e as Error).message}; use BPF_F_* names joined by '|', or a number`); }
    } else fail('flags', 'must be a number or BPF_F_* names joined by \'|\'');
  }
  if (m.name !== undefined && (typeof m.name !== 'string' || m.name.length > 64 || /\s/.test(m.name))) fail('name', 'must be a string of at most 64 characters without spaces');
  if (m.mapExtra !== undefined && (!Number.isInteger(m.mapExtra) || (m.mapExtra as number) < 0 || (m.mapExtra as number) > Number.MAX_SAFE_INTEGER)) fail('mapExtra', 'must be a non-negative integer');
  if (m.lockOffset !== undefined) {
    const o = m.lockOffset as number;
    const vs = m.valueSize as number;
    if (!Number.isInteger(o) || o < 0 || o % 4 !== 0) fail('lockOffset', `must be a multiple of 4 (a bpf_spin_lock is a 4-byte aligned u32), got ${JSON.stringify(o)}`);
    if (vs % 4 !== 0 || o + 4 > vs) fail('lockOffset', `the lock must fit in the value, and a value holding one is a multiple of 4 bytes (valueSize ${vs})`);
  }
  return m as unknown as MapDef;
}

function validateOpFields(s: Record<string, unknown>, op: Op, map: MapDef, fail: (field: string, why: string) => never): void {
  const ks = map.keySize;
  if (BATCH_OPS.includes(op)) {
    validateBatchFields(s, op, map, fail);
    return;
  }
  if (op !== 'freeze' && op !== 'walk' && op !== 'info') {
    const key = s.key;
    // Keyless maps (queue, stack) take a NULL key: "key" may be left out there.
    if (key === undefined && op !== 'getNextKey' && ks > 0) fail('key', `is missing; give ${ks} bytes as hex, a number, or null for a NULL key pointer`);
    if (typeof key === 'string') {
      if (!HEX_RE.test(key)) fail('key', `must be lower-case hex (two digits a byte), got ${JSON.stringify(key)}`);
      if (key.length !== ks * 2) fail('key', `must be key_size = ${ks} bytes, got ${key.length / 2}`);
    } else if (typeof key === 'number') {
      const limit = ks >= 7 ? Number.MAX_SAFE_INTEGER : 256 ** ks - 1;
      if (!Number.isInteger(key) || key < 0 || key > limit || ks === 0) {
        fail('key', `a number key must be a non-negative integer that fits in key_size = ${ks} bytes`);
      }
    } else if (key !== null && key !== undefined) fail('key', 'must be a hex string, a number or null');
  }
  if (s.flags !== undefined) {
    if (typeof s.flags === 'number') {
      if (!Number.isInteger(s.flags) || s.flags < 0 || s.flags > Number.MAX_SAFE_INTEGER) fail('flags', `must be a non-negative integer, got ${s.flags}`);
    } else if (typeof s.flags === 'string') {
      try { parseFlags(s.flags, false); } catch (e) { fail('flags', `${(e as Error).message}; use BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK joined by '|', or a number`); }
    } else fail('flags', 'must be a number or flag names joined by \'|\'');
  }
  if (op === 'lookup' && s.value !== undefined) {
    // The buffer the kernel reads in first: a bloom filter tests this value.
    if (isPercpuType(map.type)) fail('value', 'a lookup of a per-CPU map takes no input value');
    if (typeof s.value !== 'string' || !HEX_RE.test(s.value)) fail('value', `must be lower-case hex (two digits a byte), got ${JSON.stringify(s.value)}`);
    if ((s.value as string).length !== map.valueSize * 2) fail('value', `must be value_size = ${map.valueSize} bytes, got ${(s.value as string).length / 2}`);
  }
  if (op === 'update') {
    const percpu = isPercpuType(map.type);
    const sizes = percpu ? [map.valueSize, roundUp8(map.valueSize)] : [map.valueSize];
    const checkHex = (field: string, v: unknown): void => {
      if (typeof v === 'string' && REF_RE.test(v) && !v.includes(',') && map.valueSize === 4) return;
      if (typeof v !== 'string' || !HEX_RE.test(v)) fail(field, `must be lower-case hex (two digits a byte), got ${JSON.stringify(v)}`);
      if (!sizes.includes((v as string).length / 2)) {
        fail(field, `must be ${sizes.join(' or ')} bytes (value_size${percpu ? ', or one whole per-CPU slot' : ''}), got ${(v as string).length / 2}`);
      }
    };
    if ((s.value === undefined) === (s.values === undefined)) fail('value', percpu ? 'give either "value" (every CPU) or "values" (one per CPU)' : 'is missing');
    if (s.values !== undefined) {
      if (!percpu) fail('values', `only per-CPU maps take one value per CPU; a ${map.type} map takes "value"`);
      if (!Array.isArray(s.values) || s.values.length === 0) fail('values', 'must be a non-empty array of hex strings, one per CPU');
      (s.values as unknown[]).forEach((v, i) => checkHex(`values[${i}]`, v));
    } else checkHex('value', s.value);
  }
  if (s.padding !== undefined && !isPercpuType(map.type)) fail('padding', 'applies to per-CPU maps only');
  if (s.innerKey !== undefined) {
    if (op !== 'progLookup') fail('innerKey', 'belongs to progLookup');
    if (typeof s.innerKey !== 'string' && typeof s.innerKey !== 'number') fail('innerKey', 'must be hex or a number');
  }
}

function checkKeyField(key: unknown, ks: number, field: string, fail: (field: string, why: string) => never): void {
  if (typeof key === 'string') {
    if (!HEX_RE.test(key)) fail(field, `must be lower-case hex (two digits a byte), got ${JSON.stringify(key)}`);
    if (key.length !== ks * 2) fail(field, `must be key_size = ${ks} bytes, got ${key.length / 2}`);
  } else if (typeof key === 'number') {
    const limit = ks >= 7 ? Number.MAX_SAFE_INTEGER : 256 ** ks - 1;
    if (!Number.isInteger(key) || key < 0 || key > limit || ks === 0) fail(field, `a number key must be a non-negative integer that fits in key_size = ${ks} bytes`);
  } else fail(field, 'must be a hex string or a number');
}

function validateBatchFields(s: Record<string, unknown>, op: Op, map: MapDef, fail: (field: string, why: string) => never): void {
  if (s.count !== undefined && !isU32(s.count)) fail('count', 'must be a u32');
  if (s.batchFlags !== undefined && (!Number.isInteger(s.batchFlags) || (s.batchFlags as number) < 0)) fail('batchFlags', 'must be a non-negative integer');
  if (s.flags !== undefined) {
    if (typeof s.flags === 'number') {
      if (!Number.isInteger(s.flags) || s.flags < 0) fail('flags', `must be a non-negative integer, got ${s.flags}`);
    } else if (typeof s.flags === 'string') {
      try { parseFlags(s.flags, false); } catch (e) { fail('flags', `${(e as Error).message}; use BPF_F_LOCK or a number`); }
    } else fail('flags', 'must be a number or flag names joined by \'|\'');
  }
  if (op === 'lookupBatch' || op === 'lookupAndDeleteBatch') {
    const b = s.inBatch;
    if (typeof b === 'string' && !HEX_RE.test(b)) fail('inBatch', 'must be lower-case hex');
    if (typeof b === 'number' && !isU32(b)) fail('inBatch', 'a number cursor must be a u32');
    if (b !== undefined && b !== null && typeof b !== 'string' && typeof b !== 'number') fail('inBatch', 'must be hex, a number or null');
    if (s.count === undefined) fail('count', 'is missing: how many elements the keys and values buffers hold');
    return;
  }
  if (!Array.isArray(s.keys)) fail('keys', 'must be an array of keys');
  (s.keys as unknown[]).forEach((k, i) => checkKeyField(k, map.keySize, `keys[${i}]`, fail));
  if (s.count !== undefined && (s.count as number) > (s.keys as unknown[]).length) fail('count', 'may not exceed the number of keys given');
  if (op === 'updateBatch') {
    const percpu = isPercpuType(map.type);
    const sizes = percpu ? [map.valueSize, roundUp8(map.valueSize)] : [map.valueSize];
    if (!Array.isArray(s.values) || s.values.length !== (s.keys as unknown[]).length) fail('values', 'must be an array of one value per key');
    (s.values as unknown[]).forEach((v, i) => {
      if (typeof v === 'string' && REF_RE.test(v) && !v.includes(',') && map.valueSize === 4) return;
      if (typeof v !== 'string' || !HEX_RE.test(v) || !sizes.includes(v.length / 2)) fail(`values[${i}]`, `must be ${sizes.join(' or ')} bytes of hex`);
    });
  }
}

function validateOutcome(raw: unknown, fail: (why: string) => never): void {
  const bad = (): never => fail('must be { "ok": true }, { "errno": "E..." }, { "value": hex }, { "values": [hex, ...] }, { "key": hex }, { "keys": [hex, ...] } or { "info": {...} } (written by --record)');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad();
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  if ('batch' in o) {
    const b = o.batch as Record<string, unknown> | null;
    const hexList = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string' && (HEX_RE.test(x) || REF_RE.test(x))));
    if (keys.length === 1 && b && typeof b === 'object' && Number.isInteger(b.count) &&
        (b.errno === undefined || (typeof b.errno === 'string' && /^E[A-Z0-9#_]+$/.test(b.errno))) &&
        (b.outBatch === undefined || (typeof b.outBatch === 'string' && HEX_RE.test(b.outBatch))) && hexList(b.keys) && hexList(b.values)) return;
    bad();
  }
  if ('info' in o) {
    const i = o.info as Record<string, unknown> | null;
    const nums = ['keySize', 'valueSize', 'maxEntries', 'flags'];
    if (keys.length === 1 && i && typeof i === 'object' && typeof i.type === 'string' && typeof i.name === 'string' &&
        typeof i.frozen === 'boolean' && nums.every((n) => Number.isInteger(i[n])) && (i.mapExtra === undefined || Number.isInteger(i.mapExtra))) return;
    bad();
  }
  if ('perf' in o) {
    const p = o.perf as Record<string, unknown> | null;
    if (keys.length === 1 && p && typeof p === 'object' && Number.isInteger(p.head) && Number.isInteger(p.tail) &&
        (p.records === undefined || Array.isArray(p.records)) && (p.data === undefined || (typeof p.data === 'string' && /^([0-9a-f]{2}|<self>)*$/.test(p.data)))) return;
    bad();
  }
  if ('dump' in o) {
    const d = o.dump as Record<string, unknown> | null;
    if (keys.length === 1 && d && typeof d === 'object' && Array.isArray(d.json) && typeof d.text === 'string') return;
    bad();
  }
  if ('keys' in o) {
    const okKeys = Array.isArray(o.keys) && o.keys.every((v) => typeof v === 'string' && HEX_RE.test(v));
    const okEnd = o.errno === undefined || (typeof o.errno === 'string' && /^E[A-Z0-9#_]+$/.test(o.errno));
    if (okKeys && okEnd && keys.every((k) => k === 'keys' || k === 'errno')) return;
    bad();
  }
  if (keys.length !== 1) bad();
  const k = keys[0]!;
  if (k === 'ok' && o.ok === true) return;
  if (k === 'errno' && typeof o.errno === 'string' && /^E[A-Z0-9#_]+$/.test(o.errno)) return;
  if ((k === 'value' || k === 'key') && typeof o[k] === 'string' && HEX_RE.test(o[k] as string)) return;
  if (k === 'values' && Array.isArray(o.values) && o.values.every((v) => typeof v === 'string' && HEX_RE.test(v))) return;
  if ((k === 'ref' || k === 'inner') && typeof o[k] === 'string') return;
  if (k === 'retval' && Number.isInteger(o.retval)) return;
  if (k === 'readable' && typeof o.readable === 'boolean') return;
  bad();
}

/** errno name for a positive errno number (unknown numbers print as E#<n>). */
export function errnoNameOf(n: number): string {
  for (const [name, v] of Object.entries(ERRNO)) if (v === n) return name as ErrnoName;
  return `E#${n}`;
}

/** Canonical text of an outcome (keys sorted at every level), for comparing and printing. */
export function outcomeText(o: Outcome | undefined): string {
  if (o === undefined) return '(none)';
  return JSON.stringify(o, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}
