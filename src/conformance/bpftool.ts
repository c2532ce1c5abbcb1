// The bpftool driver: one bpftool process per step, on a map pinned in bpffs, its JSON answer
// turned into an outcome. bpftool prints `null` for success (and for a lookup that found nothing,
// with exit code -ENOENT), the element as JSON for reads, or {"error": "<what>: <strerror>"}.

import { STRERROR, type ErrnoName } from '../maps/errno.js';
import type { Outcome } from './schema.js';
import { hexOf, infoOutcome } from './schema.js';
import { DriverError, run } from '../object/kernel/process.js';

// The process tools live with the kernel loader (src/object/kernel); the suites use them from here too.
export { DriverError, run, type RunResult } from '../object/kernel/process.js';

/** The prefixes bpftool puts before strerror() when the bpf() call itself failed. */
const KERNEL_ERROR_RE = /^(map create failed|update failed|lookup failed|delete failed|can't get next key|failed to freeze map|pop failed|can't get map info): (.+)$/;

const ERRNO_BY_TEXT = new Map<string, ErrnoName>(Object.entries(STRERROR).map(([name, text]) => [text, name as ErrnoName]));

function hexArgs(b: Uint8Array): string[] {
  return ['hex', ...Array.from(b, (x) => x.toString(16).padStart(2, '0'))];
}

/** ["0x01", "0x02"] -> "0102" */
function jsonBytes(a: unknown): string {
  if (!Array.isArray(a)) throw new DriverError(`bpftool printed ${JSON.stringify(a)} where bytes were expected`);
  return hexOf(Uint8Array.from(a.map((x: string) => parseInt(x, 16))));
}

export interface BpftoolOptions {
  /** Path of the bpftool binary. */
  bin: string;
}

export class Bpftool {
  readonly bin: string;
  constructor(options: BpftoolOptions) {
    this.bin = options.bin;
  }

  /** Run `bpftool -j <args>`, pinned to a CPU with taskset when one is named. */
  async call(args: string[], cpu?: number): Promise<{ json: unknown; code: number; stderr: string }> {
    const full = ['-j', ...args];
    const r = cpu === undefined ? await run(this.bin, full) : await run('taskset', ['-c', String(cpu), this.bin, ...full]);
    if (r.spawnError) throw new DriverError(`cannot run ${cpu === undefined ? this.bin : 'taskset'}: ${r.spawnError.message}`);
    const text = r.stdout.trim();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new DriverError(`bpftool ${args.join(' ')} printed no JSON: ${text.slice(0, 200)} ${r.stderr.trim().slice(0, 200)}`);
    }
    return { json, code: r.code, stderr: r.stderr };
  }

  /** The errno of a {"error": ...} answer, or a DriverError when bpftool itself complained. */
  private errorOutcome(json: unknown, what: string): Outcome {
    const msg = (json as { error?: unknown } | null)?.error;
    if (typeof msg !== 'string') throw new DriverError(`bpftool ${what}: unexpected answer ${JSON.stringify(json)}`);
    const m = KERNEL_ERROR_RE.exec(msg);
    const errno = m ? ERRNO_BY_TEXT.get(m[2]!) : undefined;
    if (!m) throw new DriverError(`bpftool ${what}: ${msg}`);
    if (!errno) throw new DriverError(`bpftool ${what}: unknown error text '${m[2]}'`);
    return { errno };
  }

  private simple(r: { json: unknown; code: number }, what: string): Outcome {
    if (r.code === 0 && r.json === null) return { ok: true };
    return this.errorOutcome(r.json, what);
  }

  async create(pin: string, type: string, keySize: number, valueSize: number, maxEntries: number, flags: number, name: string): Promise<Outcome> {
    const args = ['map', 'create', pin, 'type', type, 'key', String(keySize), 'value', String(valueSize),
      'entries', String(maxEntries), 'name', name];
    if (flags) args.push('flags', String(flags));
    return this.simple(await this.call(args), 'map create');
  }

  /** A null key (keyless maps: queue, stack) passes no key at all. */
  private keyArgs(key: Uint8Array | null): string[] {
    return key ? ['key', ...hexArgs(key)] : [];
  }

  async update(pin: string, key: Uint8Array | null, value: Uint8Array, flags: number, cpu?: number): Promise<Outcome> {
    const word = ['any', 'noexist', 'exist'][flags];
    if (word === undefined) throw new DriverError(`bpftool cannot pass update flags ${flags}`);
    const r = await this.call(['map', 'update', 'pinned', pin, ...this.keyArgs(key), 'value', ...hexArgs(value), word], cpu);
    return this.simple(r, 'map update');
  }

  /** A read that prints the element, or `null` with exit code -ENOENT when there is none. */
  private async read(args: string[], what: string, cpu?: number): Promise<Outcome> {
    const r = await this.call(args, cpu);
    if (r.json === null) {
      if ((r.code & 0xff) === 256 - 2) return { errno: 'ENOENT' };
      throw new DriverError(`bpftool ${what} printed null with exit code ${r.code}`);
    }
    const o = r.json as { value?: unknown; values?: { cpu: number; value: unknown }[]; error?: string };
    if (o.error !== undefined) return this.errorOutcome(o, what);
    if (o.values !== undefined) return { values: o.values.map((v) => jsonBytes(v.value)) };
    return { value: jsonBytes(o.value) };
  }

  /** A lookup: { value } for plain maps, { values } (value_size bytes per CPU) for per-CPU maps; a peek for keyless maps. */
  lookup(pin: string, key: Uint8Array | null, cpu?: number): Promise<Outcome> {
    return this.read(['map', 'lookup', 'pinned', pin, ...this.keyArgs(key)], 'map lookup', cpu);
  }

  /** Lookup-and-delete with a NULL key and no flags (queue, stack). */
  pop(pin: string, cpu?: number): Promise<Outcome> {
    return this.read(['map', 'pop', 'pinned', pin], 'map pop', cpu);
  }

  async delete(pin: string, key: Uint8Array, cpu?: number): Promise<Outcome> {
    return this.simple(await this.call(['map', 'delete', 'pinned', pin, 'key', ...hexArgs(key)], cpu), 'map delete');
  }

  async getNextKey(pin: string, key: Uint8Array | null, cpu?: number): Promise<Outcome> {
    const r = await this.call(['map', 'getnext', 'pinned', pin, ...this.keyArgs(key)], cpu);
    const o = r.json as { next_key?: unknown; error?: string } | null;
    if (r.code === 0 && o && o.next_key !== undefined) return { key: jsonBytes(o.next_key) };
    return this.errorOutcome(o, 'map getnext');
  }

  /** `map show`: what bpf_map_info says (bpftool prints no map_extra), and the frozen flag. */
  async info(pin: string): Promise<Outcome> {
    const r = await this.call(['map', 'show', 'pinned', pin]);
    const o = r.json as Record<string, unknown> | null;
    if (r.code !== 0 || !o || typeof o.type !== 'string') return this.errorOutcome(o, 'map show');
    return infoOutcome({
      type: o.type, keySize: o.bytes_key as number, valueSize: o.bytes_value as number, maxEntries: o.max_entries as number,
      flags: o.flags as number, mapExtra: 0, name: (o.name as string | undefined) ?? '', frozen: o.frozen === 1,
    });
  }

  /** `map dump`: the JSON entries (-j) and the plain text, as bpftool prints them. */
  async dump(pin: string): Promise<{ json: unknown[]; text: string }> {
    const j = await this.call(['map', 'dump', 'pinned', pin]);
    if (j.code !== 0 || !Array.isArray(j.json)) throw new DriverError(`bpftool map dump: unexpected answer ${JSON.stringify(j.json)}`);
    const t = await run(this.bin, ['map', 'dump', 'pinned', pin]);
    if (t.code !== 0) throw new DriverError(`bpftool map dump (text): exit code ${t.code}: ${t.stderr.trim()}`);
    return { json: j.json, text: t.stdout.replace(/\n$/, '') };
  }

  async freeze(pin: string, cpu?: number): Promise<Outcome> {
    return this.simple(await this.call(['map', 'freeze', 'pinned', pin], cpu), 'map freeze');
  }
}
