// Program-side conformance scenarios as data: the file format, its TypeScript types, and its
// validation with errors that name the file, the step and the field. The format is documented for
// users in test/conformance/programs/README.md; keep the two together.
//
// A scenario names an object (a clang-built ELF with its C source, or hand-assembled programs and
// map specs), the maps' initial contents, and steps: open, run a program on a CPU with input bytes,
// race a program on several CPUs at once, user-space map steps, ring buffer consumption, and
// verify (the verifier's verdict). `kernel` on a step is the outcome the live kernel gave, written
// by --record only. A malformed file is a ScenarioError (the user-space suite's), naming the file,
// the step and the field.

import * as uapi from '../../maps/uapi.js';
import { MAP_TYPE_NAMES, type MapTypeName } from '../../maps/uapi.js';
import { assemble, AsmError } from './asm.js';
import { ScenarioError } from '../schema.js';
import { HEX_RE, parseBytes } from './bytes.js';

export { errnoNameOf } from '../schema.js';

/** The program types a scenario may use, with their BPF_PROG_TYPE_* numbers. */
export const PROGRAM_TYPES = {
  socket: 1, kprobe: 2, tc: 3, tracepoint: 5, xdp: 6, raw_tp: 17, syscall: 31,
} as const;
export type ProgramTypeName = keyof typeof PROGRAM_TYPES;

export const STEP_OPS = ['open', 'run', 'race', 'update', 'lookup', 'delete', 'getNextKey', 'lookupAndDelete',
  'push', 'pop', 'peek', 'freeze', 'consume', 'verify'] as const;
export type StepOp = (typeof STEP_OPS)[number];
export const MAP_STEP_OPS = ['update', 'lookup', 'delete', 'getNextKey', 'lookupAndDelete', 'push', 'pop', 'peek', 'freeze'] as const;
export type MapStepOp = (typeof MAP_STEP_OPS)[number];

/** Bytes of a key or value: given as hex / typed fields (bytes), or a number (little-endian, key_size wide). */
export type ByteInput = Uint8Array | number;

export interface AsmMap {
  name: string;
  type: MapTypeName;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface AsmProgram {
  name: string;
  type: ProgramTypeName;
  /** The relocated form (objects.md): ld_imm64 of a map carries its index in `maps`. */
  insns: Uint8Array;
}

export type ObjectSpec =
  /** A clang-built object: `file` is the absolute path of the committed .o, `source` its C file (relative). */
  | { kind: 'elf'; file: string; source: string }
  | { kind: 'asm'; maps: AsmMap[]; programs: AsmProgram[] };

export interface InitialEntry {
  key: ByteInput;
  /** One value (every CPU for per-CPU maps), or one per CPU. */
  value?: Uint8Array;
  values?: Uint8Array[];
}

/** A map's contents before the first step: a global-data section's bytes (set before load) or entries (after). */
export type Initial = { map: string; bytes: Uint8Array } | { map: string; entries: InitialEntry[] };

export interface StepBase {
  /** Free text: why the step is there. */
  note?: string;
  /** The live kernel's outcome, written by --record. */
  kernel?: RecordedOutcome;
}

export interface OpenStep extends StepBase { op: 'open' }
export interface RunStep extends StepBase {
  op: 'run';
  prog: string;
  cpu: number;
  /** tc / xdp: the packet (at least 14 bytes for the kernel to accept it). */
  data?: Uint8Array;
  /** raw_tp: the u64 arguments; syscall: any context bytes (written back by the program). */
  ctx?: Uint8Array;
  /** BPF_PROG_TEST_RUN's repeat; absent = 0 (one run). raw_tp and syscall refuse any repeat. */
  repeat?: number;
}
export interface RaceStep extends StepBase {
  op: 'race';
  prog: string;
  /** The CPUs that run it at once, one pinned thread each; 'all' = every possible CPU. */
  cpus: number[] | 'all';
  repeat: number;
  data?: Uint8Array;
  /** The counter the program bumps once per run: zeroed before, read (summed over CPUs) after. */
  counter: { map: string; key: ByteInput; offset: number; size: 4 | 8 };
  /** exact: count == runs on both sides; racy: updates may be lost on either side, count <= runs on both. */
  expect: 'exact' | 'racy';
}
export interface MapStep extends StepBase {
  op: MapStepOp;
  map: string;
  key?: ByteInput | null;
  /** update, push: the value; lookup: what the buffer holds before the call (a bloom filter tests it) */
  value?: Uint8Array;
  values?: Uint8Array[];
  flags?: number;
  cpu: number;
}
export interface ConsumeStep extends StepBase { op: 'consume'; map: string }
export interface VerifyStep extends StepBase { op: 'verify'; prog: string }

export type ProgStep = OpenStep | RunStep | RaceStep | MapStep | ConsumeStep | VerifyStep;

// ---- outcomes ---------------------------------------------------------------------------------------

/** A map's contents, as both sides dump them (see README): */
export type MapContents =
  /** array, percpu_array, global data: every index's value (per-CPU: one per CPU); queue/stack: pop order; ringbuf: pending records */
  | string[] | string[][]
  /** hash family: key -> value (per-CPU: one per CPU), keys sorted */
  | Record<string, string | string[]>;
export type MapsState = Record<string, MapContents>;

/** An open: loaded (with every map's definition as loaded, see dump.ts defText), or refused. */
export type OpenResult = { ok: true; defs?: Record<string, string> } | { errno: string; log: string };
export type RunResult = { retval: number; dataOut?: string; ctxOut?: string } | { errno: string };
export type RaceResult = { retvals: number[] } | { errno: string };
export type MapStepResult = { ok: true } | { errno: string } | { value: string } | { values: string[] } | { key: string };
export type ConsumeResult = { records: string[] };
export type VerifyResult = { verdict: 'accepted' } | { verdict: 'refused'; errno: string; log: string };
export type StepResult = OpenResult | RunResult | RaceResult | MapStepResult | ConsumeResult | VerifyResult;

/**
 * What a step's outcome holds in a file: the side's result, for a race the counter's count and the
 * runs, and `maps`: the full contents of every map the step changed (after an open: all of them).
 */
export type RecordedOutcome = StepResult & { count?: number; total?: number; maps?: MapsState };

export interface Recorded {
  kernel: string;
  cpus: number;
  libbpf: string;
}

export interface ProgramScenario {
  /** The file's path, as given. */
  file: string;
  /** The file's base name without .json. */
  name: string;
  description: string;
  object: ObjectSpec;
  initial: Initial[];
  /** Maps left out of the dumps, each with the reason (not comparable, counted by a race). */
  undumped: Record<string, string>;
  recorded?: Recorded;
  steps: ProgStep[];
  /** The raw JSON of each step (for printing a difference's input and for rewriting the file). */
  rawSteps: Record<string, unknown>[];
}

const FILE_FIELDS = ['description', 'object', 'initial', 'undumped', 'recorded', 'steps'];
const STEP_FIELDS: Record<StepOp, string[]> = {
  open: [],
  run: ['prog', 'cpu', 'data', 'ctx', 'repeat'],
  race: ['prog', 'cpus', 'repeat', 'data', 'counter', 'expect'],
  update: ['map', 'key', 'value', 'values', 'flags', 'cpu'],
  lookup: ['map', 'key', 'value', 'flags', 'cpu'],
  delete: ['map', 'key', 'cpu'],
  getNextKey: ['map', 'key', 'cpu'],
  lookupAndDelete: ['map', 'key', 'flags', 'cpu'],
  push: ['map', 'value', 'flags', 'cpu'],
  pop: ['map', 'cpu'],
  peek: ['map', 'cpu'],
  freeze: ['map'],
  consume: ['map'],
  verify: ['prog'],
};
const ELEM_FLAGS: Record<string, number> = { BPF_ANY: 0, BPF_NOEXIST: 1, BPF_EXIST: 2, BPF_F_LOCK: 4 };
const NAME_RE = /^[A-Za-z_.][\w.]*$/;
const ERRNO_RE = /^E[A-Z0-9#_]+$/;
const U32_MAX = 0xffffffff;

/** Element flags by name (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK joined by '|') or a number. */
export function parseElemFlags(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new Error(`must be a non-negative integer, got ${v}`);
    return v;
  }
  if (typeof v !== 'string') throw new Error('must be a number or flag names joined by \'|\'');
  let x = 0;
  for (const part of v.split('|').map((s) => s.trim())) {
    const n = ELEM_FLAGS[part] ?? (/^(0x[0-9a-f]+|\d+)$/i.test(part) ? Number(part) : undefined);
    if (n === undefined) throw new Error(`unknown flag '${part}'; use BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK joined by '|', or a number`);
    x += n & ~x;
  }
  return x;
}

/** Map-creation flags by name (BPF_F_* of uapi.ts joined by '|') or a number. */
function parseMapFlags(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX) return v;
  if (typeof v !== 'string') throw new Error('must be a u32 or BPF_F_* names joined by \'|\'');
  let x = 0;
  for (const part of v.split('|').map((s) => s.trim())) {
    const n = part.startsWith('BPF_F_') ? (uapi as unknown as Record<string, unknown>)[part] : undefined;
    if (typeof n !== 'number') throw new Error(`unknown flag '${part}'`);
    x |= n;
  }
  return x >>> 0;
}

export function isPercpuType(type: number): boolean {
  return type === uapi.BPF_MAP_TYPE_PERCPU_ARRAY || type === uapi.BPF_MAP_TYPE_PERCPU_HASH || type === uapi.BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** The programs an open must load: those a run or race step names (verify steps load theirs alone). */
export function programsToLoad(sc: Pick<ProgramScenario, 'steps'>): string[] {
  const names = new Set<string>();
  for (const s of sc.steps) if (s.op === 'run' || s.op === 'race') names.add(s.prog);
  return [...names];
}

export function parseProgramScenario(file: string, text: string, dir?: string): ProgramScenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, 0, '', `not valid JSON (${(e as Error).message})`);
  }
  return validateProgramScenario(file, json, dir);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Validate a scenario's JSON. `dir` is where the object's files are looked up (default: the
 * scenario file's directory).
 */
export function validateProgramScenario(file: string, json: unknown, dir?: string): ProgramScenario {
  const fail = (step: number, field: string, why: string): never => {
    throw new ScenarioError(file, step, field, why);
  };
  const base = file.replace(/\\/g, '/');
  const where = dir ?? (base.includes('/') ? base.slice(0, base.lastIndexOf('/')) : '.');
  if (!isObj(json)) return fail(0, '', 'must be a JSON object { "description", "object", "steps" }');
  for (const k of Object.keys(json)) if (!FILE_FIELDS.includes(k)) fail(0, k, `unknown field; expected one of ${FILE_FIELDS.join(', ')}`);
  if (typeof json.description !== 'string' || json.description === '') fail(0, 'description', 'must be a non-empty string saying what the scenario checks');

  const object = validateObject(json.object, where, (field, why) => fail(0, `object${field ? `.${field}` : ''}`, why));
  const asmMaps = object.kind === 'asm' ? new Set(object.maps.map((m) => m.name)) : null;
  const asmProgs = object.kind === 'asm' ? new Set(object.programs.map((p) => p.name)) : null;
  const checkMap = (step: number, field: string, name: unknown): string => {
    if (typeof name !== 'string' || !NAME_RE.test(name)) return fail(step, field, `must name a map (its symbol, or the section for global data such as ".bss"), got ${JSON.stringify(name)}`);
    if (asmMaps && !asmMaps.has(name)) fail(step, field, `no map '${name}' in the object (its maps: ${[...asmMaps].join(', ') || 'none'})`);
    return name;
  };
  const checkProg = (step: number, field: string, name: unknown): string => {
    if (typeof name !== 'string' || !NAME_RE.test(name)) return fail(step, field, `must name a program (its function name), got ${JSON.stringify(name)}`);
    if (asmProgs && !asmProgs.has(name)) fail(step, field, `no program '${name}' in the object (its programs: ${[...asmProgs].join(', ')})`);
    return name;
  };
  const bytesField = (step: number, field: string, v: unknown): Uint8Array => {
    try {
      return parseBytes(v);
    } catch (e) {
      return fail(step, field, (e as Error).message);
    }
  };
  const keyField = (step: number, field: string, v: unknown): ByteInput => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) fail(step, field, `a number key must be a non-negative integer, got ${v}`);
      return v;
    }
    return bytesField(step, field, v);
  };

  const initial: Initial[] = [];
  if (json.initial !== undefined) {
    if (!isObj(json.initial)) fail(0, 'initial', 'must be an object { "<map>": <bytes> | [ { "key", "value" | "values" } ] }');
    for (const [name, v] of Object.entries(json.initial as Obj)) {
      const field = `initial.${name}`;
      checkMap(0, field, name);
      if (name.startsWith('.')) {
        if (object.kind === 'asm') fail(0, field, 'hand-assembled objects have no global-data sections');
        initial.push({ map: name, bytes: bytesField(0, field, v) });
        continue;
      }
      if (!Array.isArray(v)) fail(0, field, 'must be a list of { "key", "value" } or { "key", "values" } entries');
      const entries = (v as unknown[]).map((e, i) => {
        const f = `${field}[${i}]`;
        if (!isObj(e)) return fail(0, f, 'must be { "key", "value" } or { "key", "values" }');
        for (const k of Object.keys(e)) if (!['key', 'value', 'values'].includes(k)) fail(0, `${f}.${k}`, 'unknown field; expected key, value, values');
        if ((e.value === undefined) === (e.values === undefined)) fail(0, f, 'give either "value" or "values" (one per CPU)');
        const entry: InitialEntry = { key: keyField(0, `${f}.key`, e.key) };
        if (e.value !== undefined) entry.value = bytesField(0, `${f}.value`, e.value);
        else {
          if (!Array.isArray(e.values) || e.values.length === 0) fail(0, `${f}.values`, 'must be a non-empty list, one value per CPU');
          entry.values = (e.values as unknown[]).map((x, j) => bytesField(0, `${f}.values[${j}]`, x));
        }
        return entry;
      });
      initial.push({ map: name, entries });
    }
  }

  const undumped: Record<string, string> = {};
  if (json.undumped !== undefined) {
    if (!isObj(json.undumped)) fail(0, 'undumped', 'must be an object { "<map>": "why its contents are not compared" }');
    for (const [name, why] of Object.entries(json.undumped as Obj)) {
      checkMap(0, `undumped.${name}`, name);
      if (typeof why !== 'string' || why.trim() === '') fail(0, `undumped.${name}`, 'must say why the map is left out of the dumps');
      undumped[name] = why as string;
    }
  }

  let recorded: Recorded | undefined;
  if (json.recorded !== undefined) {
    const r = json.recorded;
    if (!isObj(r) || typeof r.kernel !== 'string' || typeof r.libbpf !== 'string' || !Number.isInteger(r.cpus) || (r.cpus as number) < 1) {
      fail(0, 'recorded', 'must be { "kernel": string, "cpus": integer >= 1, "libbpf": string } (written by --record)');
    }
    const rr = r as Obj;
    recorded = { kernel: rr.kernel as string, cpus: rr.cpus as number, libbpf: rr.libbpf as string };
  }

  if (!Array.isArray(json.steps) || json.steps.length === 0) fail(0, 'steps', 'must be a non-empty list of steps');
  const steps: ProgStep[] = [];
  const rawSteps = json.steps as Record<string, unknown>[];
  rawSteps.forEach((raw, i) => {
    const n = i + 1;
    if (!isObj(raw)) fail(n, '', 'must be an object { "op", ... }');
    const s = raw as Obj;
    if (!STEP_OPS.includes(s.op as StepOp)) fail(n, 'op', `must be one of ${STEP_OPS.join(', ')}, got ${JSON.stringify(s.op)}`);
    const op = s.op as StepOp;
    if (i === 0 && op !== 'open') fail(n, 'op', 'the first step must be { "op": "open" } (it loads the object and records the maps as loaded)');
    for (const k of Object.keys(s)) {
      if (k !== 'op' && k !== 'note' && k !== 'kernel' && !STEP_FIELDS[op].includes(k)) fail(n, k, `is not a field of a ${op} step (a ${op} step takes ${STEP_FIELDS[op].join(', ') || 'nothing else'})`);
    }
    if (s.note !== undefined && typeof s.note !== 'string') fail(n, 'note', 'must be a string');
    const cpu = (field: string, v: unknown): number => {
      if (v === undefined) return 0;
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 4095) fail(n, field, `must be a CPU number from 0 to 4095, got ${JSON.stringify(v)}`);
      return v as number;
    };
    const base: StepBase = {};
    if (s.note !== undefined) base.note = s.note as string;
    let step: ProgStep;
    switch (op) {
      case 'open':
        step = { op, ...base };
        break;
      case 'run': {
        const r: RunStep = { op, ...base, prog: checkProg(n, 'prog', s.prog), cpu: cpu('cpu', s.cpu) };
        if (s.data !== undefined) r.data = bytesField(n, 'data', s.data);
        if (s.ctx !== undefined) r.ctx = bytesField(n, 'ctx', s.ctx);
        if (s.repeat !== undefined) {
          if (!Number.isInteger(s.repeat) || (s.repeat as number) < 0 || (s.repeat as number) > U32_MAX) fail(n, 'repeat', 'must be a u32 (BPF_PROG_TEST_RUN\'s repeat)');
          r.repeat = s.repeat as number;
        }
        step = r;
        break;
      }
      case 'race': {
        let cpus: number[] | 'all';
        if (s.cpus === 'all') cpus = 'all';
        else if (Array.isArray(s.cpus) && s.cpus.length > 0) cpus = (s.cpus as unknown[]).map((c, j) => cpu(`cpus[${j}]`, c));
        else return fail(n, 'cpus', 'must be "all" or a non-empty list of CPU numbers');
        if (!Number.isInteger(s.repeat) || (s.repeat as number) < 1 || (s.repeat as number) > U32_MAX) fail(n, 'repeat', 'must be a u32 >= 1: runs per CPU');
        if (s.expect !== 'exact' && s.expect !== 'racy') fail(n, 'expect', 'must be "exact" (the count is every run) or "racy" (updates may be lost)');
        const c = s.counter;
        if (!isObj(c)) return fail(n, 'counter', 'must be { "map", "key"?, "offset"?, "size"? }: the counter each run bumps');
        for (const k of Object.keys(c)) if (!['map', 'key', 'offset', 'size'].includes(k)) fail(n, `counter.${k}`, 'unknown field; expected map, key, offset, size');
        const map = checkMap(n, 'counter.map', c.map);
        if (c.offset !== undefined && (!Number.isInteger(c.offset) || (c.offset as number) < 0)) fail(n, 'counter.offset', 'must be a byte offset into the value');
        if (c.size !== undefined && c.size !== 4 && c.size !== 8) fail(n, 'counter.size', 'must be 4 or 8');
        const r: RaceStep = {
          op, ...base, prog: checkProg(n, 'prog', s.prog), cpus, repeat: s.repeat as number, expect: s.expect as 'exact' | 'racy',
          counter: { map, key: c.key === undefined ? 0 : keyField(n, 'counter.key', c.key), offset: (c.offset as number | undefined) ?? 0, size: (c.size as 4 | 8 | undefined) ?? 4 },
        };
        if (s.data !== undefined) r.data = bytesField(n, 'data', s.data);
        step = r;
        break;
      }
      case 'consume':
        step = { op, ...base, map: checkMap(n, 'map', s.map) };
        break;
      case 'verify':
        step = { op, ...base, prog: checkProg(n, 'prog', s.prog) };
        break;
      default: {
        const m: MapStep = { op, ...base, map: checkMap(n, 'map', s.map), cpu: cpu('cpu', s.cpu) };
        const keyed = op === 'update' || op === 'lookup' || op === 'delete' || op === 'getNextKey' || op === 'lookupAndDelete';
        if (keyed) {
          if (s.key === undefined && op !== 'getNextKey') fail(n, 'key', 'is missing; give hex, typed fields, a number, or null for a NULL key pointer');
          m.key = s.key === null || s.key === undefined ? null : keyField(n, 'key', s.key);
        }
        if (op === 'lookup' && s.value !== undefined) m.value = bytesField(n, 'value', s.value);
        if (op === 'update' || op === 'push') {
          if (s.value !== undefined && s.values !== undefined) fail(n, 'value', 'give "value" or "values", not both');
          if (s.value === undefined && s.values === undefined) fail(n, 'value', 'is missing');
          if (s.value !== undefined) m.value = bytesField(n, 'value', s.value);
          if (s.values !== undefined) {
            if (op === 'push' || !Array.isArray(s.values) || s.values.length === 0) fail(n, 'values', 'must be a non-empty list, one value per CPU (per-CPU maps only)');
            m.values = (s.values as unknown[]).map((v, j) => bytesField(n, `values[${j}]`, v));
          }
        }
        if (s.flags !== undefined) {
          try {
            m.flags = parseElemFlags(s.flags);
          } catch (e) {
            fail(n, 'flags', (e as Error).message);
          }
        }
        step = m;
      }
    }
    if (s.kernel !== undefined) step.kernel = validateOutcome(op, s.kernel, (why) => fail(n, 'kernel', why)) as RecordedOutcome;
    steps.push(step);
  });
  for (const s of steps) {
    if (s.op === 'race' && !(s.counter.map in undumped)) {
      fail(steps.indexOf(s) + 1, 'counter.map', `a race's counter map must be listed in "undumped" (its count is judged by the race rule, not by the dumps)`);
    }
  }
  const name = base.split('/').pop()!.replace(/\.json$/, '');
  return { file, name, description: json.description as string, object, initial, undumped, recorded, steps, rawSteps };
}

function validateObject(raw: unknown, dir: string, fail: (field: string, why: string) => never): ObjectSpec {
  if (!isObj(raw)) return fail('', 'must be { "file": "x.bpf.o", "source": "x.bpf.c" } or { "asm": { "maps": [...], "programs": [...] } }');
  if (raw.asm === undefined) {
    for (const k of Object.keys(raw)) if (k !== 'file' && k !== 'source') fail(k, 'unknown field; expected file, source (or asm)');
    if (typeof raw.file !== 'string' || !/\.o$/.test(raw.file)) fail('file', 'must name the committed object, e.g. "hash-helpers.bpf.o" (relative to the scenario)');
    if (typeof raw.source !== 'string' || !/\.c$/.test(raw.source)) fail('source', 'must name the C source the object was built from (relative to the scenario)');
    const file = (raw.file as string).startsWith('/') ? raw.file as string : `${dir}/${raw.file as string}`;
    return { kind: 'elf', file, source: raw.source as string };
  }
  for (const k of Object.keys(raw)) if (k !== 'asm') fail(k, 'an asm object takes no other field');
  const a = raw.asm;
  if (!isObj(a)) return fail('asm', 'must be { "maps": [...], "programs": [...] }');
  for (const k of Object.keys(a)) if (k !== 'maps' && k !== 'programs') fail(`asm.${k}`, 'unknown field; expected maps, programs');
  const maps: AsmMap[] = [];
  if (a.maps !== undefined && !Array.isArray(a.maps)) fail('asm.maps', 'must be a list of map specs');
  ((a.maps as unknown[] | undefined) ?? []).forEach((m, i) => {
    const f = `asm.maps[${i}]`;
    if (!isObj(m)) return fail(f, 'must be { "name", "type", "keySize", "valueSize", "maxEntries", "flags"? }');
    for (const k of Object.keys(m)) if (!['name', 'type', 'keySize', 'valueSize', 'maxEntries', 'flags'].includes(k)) fail(`${f}.${k}`, 'unknown field');
    if (typeof m.name !== 'string' || !/^[A-Za-z_]\w{0,14}$/.test(m.name)) fail(`${f}.name`, 'must be a C identifier of at most 15 characters (the kernel\'s map name)');
    if (maps.some((x) => x.name === m.name)) fail(`${f}.name`, `map '${m.name as string}' is defined twice`);
    if (typeof m.type !== 'string' || !(m.type in MAP_TYPE_NAMES)) fail(`${f}.type`, `must be one of ${Object.keys(MAP_TYPE_NAMES).join(', ')}`);
    for (const k of ['keySize', 'valueSize', 'maxEntries'] as const) {
      if (!Number.isInteger(m[k]) || (m[k] as number) < 0 || (m[k] as number) > U32_MAX) fail(`${f}.${k}`, 'must be a u32');
    }
    let flags = 0;
    try {
      flags = parseMapFlags(m.flags);
    } catch (e) {
      fail(`${f}.flags`, (e as Error).message);
    }
    maps.push({ name: m.name as string, type: m.type as MapTypeName, keySize: m.keySize as number, valueSize: m.valueSize as number, maxEntries: m.maxEntries as number, flags });
  });
  if (!Array.isArray(a.programs) || a.programs.length === 0) fail('asm.programs', 'must be a non-empty list of { "name", "type", "insns" }');
  const programs: AsmProgram[] = [];
  (a.programs as unknown[]).forEach((p, i) => {
    const f = `asm.programs[${i}]`;
    if (!isObj(p)) return fail(f, 'must be { "name", "type", "insns": [ "mov64 r0, 0", "exit" ] }');
    for (const k of Object.keys(p)) if (!['name', 'type', 'insns'].includes(k)) fail(`${f}.${k}`, 'unknown field; expected name, type, insns');
    if (typeof p.name !== 'string' || !/^[A-Za-z_]\w{0,14}$/.test(p.name)) fail(`${f}.name`, 'must be a C identifier of at most 15 characters (the kernel\'s program name)');
    if (programs.some((x) => x.name === p.name)) fail(`${f}.name`, `program '${p.name as string}' is defined twice`);
    if (typeof p.type !== 'string' || !(p.type in PROGRAM_TYPES)) fail(`${f}.type`, `must be one of ${Object.keys(PROGRAM_TYPES).join(', ')}`);
    if (!Array.isArray(p.insns) || !p.insns.every((l) => typeof l === 'string')) fail(`${f}.insns`, 'must be a list of instruction lines');
    let insns: Uint8Array;
    try {
      insns = assemble(p.insns as string[], maps.map((m) => m.name));
    } catch (e) {
      if (e instanceof AsmError) return fail(`${f}.insns[${e.line}]`, `${e.message}: ${JSON.stringify((p.insns as string[])[e.line])}`);
      throw e;
    }
    if (insns.length === 0) fail(`${f}.insns`, 'assembles to no instructions');
    programs.push({ name: p.name as string, type: p.type as ProgramTypeName, insns });
  });
  return { kind: 'asm', maps, programs };
}

function hexList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && HEX_RE.test(x));
}

function validContents(c: unknown): boolean {
  if (Array.isArray(c)) return c.every((x) => (typeof x === 'string' && HEX_RE.test(x)) || hexList(x));
  if (!isObj(c)) return false;
  return Object.entries(c).every(([k, v]) => HEX_RE.test(k) && ((typeof v === 'string' && HEX_RE.test(v)) || hexList(v)));
}

/** Check a recorded outcome's shape for the step's op. */
function validateOutcome(op: StepOp, raw: unknown, fail: (why: string) => never): RecordedOutcome {
  if (!isObj(raw)) return fail('must be an object (written by --record)');
  const o = raw;
  const keys = Object.keys(o).filter((k) => k !== 'maps');
  if (o.maps !== undefined) {
    if (!isObj(o.maps)) fail('"maps" must be { "<map>": contents }');
    for (const [name, c] of Object.entries(o.maps as Obj)) if (!validContents(c)) fail(`"maps.${name}" is not a map's contents (hex values, lists of them, or key -> value)`);
  }
  const errnoOk = typeof o.errno === 'string' && ERRNO_RE.test(o.errno);
  const is = (...fields: string[]): boolean => keys.length === fields.length && fields.every((f) => keys.includes(f));
  const shapes: Record<StepOp, () => boolean> = {
    open: () => (is('ok', 'defs') && o.ok === true && isObj(o.defs) && Object.values(o.defs).every((d) => typeof d === 'string')) || (is('errno', 'log') && errnoOk && typeof o.log === 'string'),
    run: () => (is('errno') && errnoOk) || (keys.includes('retval') && Number.isInteger(o.retval) && (o.retval as number) >= 0 && (o.retval as number) <= U32_MAX &&
      keys.every((k) => k === 'retval' || ((k === 'dataOut' || k === 'ctxOut') && typeof o[k] === 'string' && HEX_RE.test(o[k] as string)))),
    race: () => (is('errno') && errnoOk) || (is('retvals', 'count', 'total') && Array.isArray(o.retvals) && o.retvals.every((r) => Number.isInteger(r)) &&
      Number.isInteger(o.count) && Number.isInteger(o.total)),
    update: () => mapShape(),
    lookup: () => mapShape(),
    delete: () => mapShape(),
    getNextKey: () => mapShape(),
    lookupAndDelete: () => mapShape(),
    push: () => mapShape(),
    pop: () => mapShape(),
    peek: () => mapShape(),
    freeze: () => mapShape(),
    consume: () => is('records') && hexList(o.records),
    verify: () => (is('verdict') && o.verdict === 'accepted') || (is('verdict', 'errno', 'log') && o.verdict === 'refused' && errnoOk && typeof o.log === 'string'),
  };
  function mapShape(): boolean {
    if (keys.length !== 1) return false;
    const k = keys[0]!;
    return (k === 'ok' && o.ok === true) || (k === 'errno' && errnoOk) || ((k === 'value' || k === 'key') && typeof o[k] === 'string' && HEX_RE.test(o[k] as string)) ||
      (k === 'values' && hexList(o.values));
  }
  if (!shapes[op]()) fail(`is not the outcome of a ${op} step (written by --record; see test/conformance/programs/README.md)`);
  return o as unknown as RecordedOutcome;
}
