// The benchmark's result file: its TypeScript types, its JSON Schema, and a validator for the
// part of JSON Schema the schema uses (type, properties, required, additionalProperties, items,
// enum, const, minimum, $ref into $defs, anyOf). A baseline that does not validate is refused with
// the path of the first bad field, so --compare never compares half-understood numbers.

/**
 * The result file's format. 2: rows come in cells whose sides share the row id (kernel rows too),
 * plain-JS rows do the same work as ours (the old constant-slot loop is the 'floor' variant), and
 * a limit side. A /1 file's plain-JS and kernel rows mean something else, so it is refused.
 */
export const RESULT_FORMAT = 'percpu-maps-bench/2';

/** Which implementation a row measures. */
export const SIDES = ['ours', 'object', 'plain', 'kernel', 'limit'] as const;
export type Side = (typeof SIDES)[number];

export const GROUPS = ['counter', 'map', 'user'] as const;
export type RowGroup = (typeof GROUPS)[number];

/** One timed repetition: `events` events (or ops, or entries) in `ns` nanoseconds of wall time. */
export interface Sample {
  events: number;
  ns: number;
  /** Counters: expected minus observed count after the sample. */
  lost?: number;
  /** The sample hit the per-sample time cap and was stopped early (its rate still stands). */
  capped?: boolean;
}

export interface Summary {
  n: number;
  /** Median rate, events per second. */
  rate: number;
  /** 95% interval of the median rate (distribution-free; see `level`). */
  rateLo: number;
  rateHi: number;
  level: number;
  /** Nanoseconds per event at the median rate. */
  nsPerEvent: number;
  /** Mean and standard deviation of ln(ns per event) over the samples: what the t-test uses. */
  logMean: number;
  /** null with a single sample. */
  logSd: number | null;
  /** Counters: lost updates in % of events, over all samples. */
  lostPercent?: number;
}

export interface Row {
  /** Stable name without the side, e.g. 'counter/percpu-128/cpus=2'. Rows compare by side + id. */
  id: string;
  side: Side;
  group: RowGroup;
  /** What is measured, for people: 'percpu (stride 128)'. */
  label: string;
  /** Simulated CPUs (kernel: real CPUs). */
  cpus: number;
  /** More CPUs than the host has cores: CPUs take turns on the cores. */
  oversubscribed: boolean;
  /** What one event is: 'event' (a probe firing), 'op' (a syscall-like call), 'entry' (a dumped entry). */
  unit: 'event' | 'op' | 'entry';
  status: 'measured' | 'not-measured';
  /** Why a row was not measured (tools missing, map type not registered, stopped). */
  reason?: string;
  params: Record<string, string | number>;
  samples: Sample[];
  summary?: Summary;
}

export interface Environment {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  osRelease: string;
  cpuModel: string;
  /** os.availableParallelism(): the cores a run can use. */
  cores: number;
  /** The git commit of the measured tree, '+dirty' when it had changes; 'unknown' outside git. */
  commit: string;
  piscina: string;
  tinybench: string;
  /** /proc/sys/net/core/bpf_jit_enable, when readable. */
  bpfJit?: string;
  /** Kernel reference tools: clang, libbpf; or why they are missing. */
  kernelReference: string;
  /** Each reference side's tools (kernel: clang, libbpf; limit: the C compiler), or why it is missing. */
  tools?: Record<string, string>;
  /** The 1-minute load average when the run started and when it ended: other work on the machine. */
  loadAverage?: number[];
}

export interface Settings {
  preset: 'full' | 'quick' | 'smoke';
  /** Timed samples per row. */
  samples: number;
  /** Target duration of one sample, ms. */
  sampleMs: number;
  /** Warm-up per row before timing, ms. */
  warmupMs: number;
  /** Simulated CPU counts of the counter matrix. */
  cpus: number[];
  groups: RowGroup[];
  filter?: string;
}

export interface BenchResult {
  format: typeof RESULT_FORMAT;
  createdAt: string;
  /** Seconds the whole run took. */
  durationSec: number;
  env: Environment;
  settings: Settings;
  /** The signal that stopped the run early (rows measured until then are kept), or null. */
  interrupted: string | null;
  rows: Row[];
}

// ---- the JSON Schema --------------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

const num = { type: 'number' };
const int0 = { type: 'integer', minimum: 0 };
const str = { type: 'string' };

export const RESULT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'percpu-maps-bench-2.schema.json',
  title: 'percpu-maps benchmark result',
  type: 'object',
  required: ['format', 'createdAt', 'durationSec', 'env', 'settings', 'interrupted', 'rows'],
  additionalProperties: false,
  properties: {
    format: { const: RESULT_FORMAT },
    createdAt: str,
    durationSec: { type: 'number', minimum: 0 },
    env: { $ref: '#/$defs/env' },
    settings: { $ref: '#/$defs/settings' },
    interrupted: { anyOf: [str, { type: 'null' }] },
    rows: { type: 'array', items: { $ref: '#/$defs/row' } },
  },
  $defs: {
    env: {
      type: 'object',
      required: ['node', 'v8', 'platform', 'arch', 'osRelease', 'cpuModel', 'cores', 'commit', 'piscina', 'tinybench', 'kernelReference'],
      additionalProperties: false,
      properties: {
        node: str, v8: str, platform: str, arch: str, osRelease: str, cpuModel: str, cores: { type: 'integer', minimum: 1 },
        commit: str, piscina: str, tinybench: str, bpfJit: str, kernelReference: str,
        tools: { type: 'object', additionalProperties: str },
        loadAverage: { type: 'array', items: { type: 'number', minimum: 0 } },
      },
    },
    settings: {
      type: 'object',
      required: ['preset', 'samples', 'sampleMs', 'warmupMs', 'cpus', 'groups'],
      additionalProperties: false,
      properties: {
        preset: { enum: ['full', 'quick', 'smoke'] },
        samples: { type: 'integer', minimum: 1 },
        sampleMs: { type: 'number', minimum: 0 },
        warmupMs: { type: 'number', minimum: 0 },
        cpus: { type: 'array', items: { type: 'integer', minimum: 1 } },
        groups: { type: 'array', items: { enum: [...GROUPS] } },
        filter: str,
      },
    },
    sample: {
      type: 'object',
      required: ['events', 'ns'],
      additionalProperties: false,
      properties: { events: { type: 'number', minimum: 1 }, ns: { type: 'number', minimum: 1 }, lost: num, capped: { type: 'boolean' } },
    },
    summary: {
      type: 'object',
      required: ['n', 'rate', 'rateLo', 'rateHi', 'level', 'nsPerEvent', 'logMean', 'logSd'],
      additionalProperties: false,
      properties: {
        n: { type: 'integer', minimum: 1 }, rate: num, rateLo: num, rateHi: num, level: num, nsPerEvent: num,
        logMean: num, logSd: { anyOf: [num, { type: 'null' }] }, lostPercent: num,
      },
    },
    row: {
      type: 'object',
      required: ['id', 'side', 'group', 'label', 'cpus', 'oversubscribed', 'unit', 'status', 'params', 'samples'],
      additionalProperties: false,
      properties: {
        id: str,
        side: { enum: [...SIDES] },
        group: { enum: [...GROUPS] },
        label: str,
        cpus: int0,
        oversubscribed: { type: 'boolean' },
        unit: { enum: ['event', 'op', 'entry'] },
        status: { enum: ['measured', 'not-measured'] },
        reason: str,
        params: { type: 'object', additionalProperties: { anyOf: [str, num] } },
        samples: { type: 'array', items: { $ref: '#/$defs/sample' } },
        summary: { $ref: '#/$defs/summary' },
      },
    },
  },
};

// ---- a validator for the subset above ------------------------------------------------------------------

export interface SchemaError {
  /** JSON pointer-like path of the bad value, e.g. '/rows/3/samples/0/ns'. */
  path: string;
  message: string;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: throw new Error(`schema uses unsupported type '${type}'`);
  }
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  const m = /^#\/\$defs\/([\w-]+)$/.exec(ref);
  const target = m ? (root.$defs as Record<string, JsonSchema> | undefined)?.[m[1]!] : undefined;
  if (!target) throw new Error(`schema has an unresolvable $ref '${ref}'`);
  return target;
}

function check(root: JsonSchema, s: JsonSchema, v: unknown, path: string, out: SchemaError[]): void {
  if (typeof s.$ref === 'string') return check(root, resolveRef(root, s.$ref), v, path, out);
  if (Array.isArray(s.anyOf)) {
    if (!s.anyOf.some((alt) => { const e: SchemaError[] = []; check(root, alt as JsonSchema, v, path, e); return e.length === 0; })) {
      out.push({ path, message: `matches none of the allowed forms` });
    }
    return;
  }
  if ('const' in s && v !== s.const) out.push({ path, message: `must be ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}` });
  if (Array.isArray(s.enum) && !s.enum.includes(v as never)) out.push({ path, message: `must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}` });
  if (typeof s.type === 'string' && !typeOk(s.type, v)) {
    out.push({ path, message: `must be of type ${s.type}, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}` });
    return;
  }
  if (typeof s.minimum === 'number' && typeof v === 'number' && v < s.minimum) out.push({ path, message: `must be >= ${s.minimum}, got ${v}` });
  if (Array.isArray(v) && s.items) v.forEach((item, i) => check(root, s.items as JsonSchema, item, `${path}/${i}`, out));
  if (typeOk('object', v) && (s.properties || s.required || s.additionalProperties !== undefined)) {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) out.push({ path: `${path}/${r}`, message: 'is required' });
    for (const [k, val] of Object.entries(o)) {
      if (k in props) check(root, props[k]!, val, `${path}/${k}`, out);
      else if (s.additionalProperties === false) out.push({ path: `${path}/${k}`, message: 'is not an allowed field' });
      else if (typeof s.additionalProperties === 'object') check(root, s.additionalProperties as JsonSchema, val, `${path}/${k}`, out);
    }
  }
}

/** Validate a value against a schema of the supported subset; [] when it conforms. */
export function validateAgainst(schema: JsonSchema, value: unknown): SchemaError[] {
  const out: SchemaError[] = [];
  check(schema, schema, value, '', out);
  return out;
}

export class ResultFileError extends Error {
  override name = 'ResultFileError';
}

/** Parse and validate a result file's text; throws ResultFileError naming the file and the field. */
export function parseResult(file: string, text: string): BenchResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if ((json as { format?: unknown } | null)?.format === 'percpu-maps-bench/1') {
    throw new ResultFileError(`${file} was written by an older bench (format percpu-maps-bench/1): its plain-JS rows were the constant-slot floor and its kernel rows had ids of their own, so nothing in it compares with this run; measure a new one (percpu-maps bench --update-baseline, or --out FILE)`);
  }
  const errors = validateAgainst(RESULT_SCHEMA, json);
  if (errors.length > 0) {
    const first = errors.slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`).join('; ');
    throw new ResultFileError(`${file} is not a percpu-maps bench result (${RESULT_FORMAT}): ${first}${errors.length > 3 ? ` (+${errors.length - 3} more)` : ''}; make one with 'percpu-maps bench --out FILE'`);
  }
  return json as BenchResult;
}
