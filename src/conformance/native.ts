// The native driver: our small C helper (bpf-helper.c), compiled at test time with the machine's
// cc into .native/ (gitignored), then run as one long-lived process per conformance run. It holds
// the map fd (so BPF_F_RDONLY/BPF_F_WRONLY fds behave as created) and answers one line per command.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sourceFile } from '../object/package-files.js';
import { buildNative } from '../object/kernel/process.js';
import { DriverError } from './bpftool.js';
import { mapTypeName } from '../maps/uapi.js';
import { bytesOf, errnoNameOf, hexOf, infoOutcome, type Outcome } from './schema.js';

/** The helper's C source, beside this module (from dist too: the package ships src). */
const SOURCE = sourceFile(import.meta.url, './bpf-helper.c');

/** Compile the user-space conformance helper (see buildNative). */
export function buildHelper(cc?: string): Promise<string> {
  return buildNative({
    source: SOURCE, name: 'bpf-helper', what: 'the native bpf helper',
    hint: () => 'are the linux/bpf.h headers installed? linux-libc-dev',
  }, cc);
}

/** One running helper process. */
export class NativeHelper {
  private proc: ChildProcessWithoutNullStreams;
  private waiting: ((line: string | Error) => void)[] = [];
  private dead: Error | null = null;
  private stderr = '';

  private constructor(bin: string) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: this.proc.stdout });
    lines.on('line', (line) => this.waiting.shift()?.(line));
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const die = (why: string): void => {
      this.dead = new DriverError(`the native bpf helper ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      for (const w of this.waiting.splice(0)) w(this.dead);
    };
    this.proc.on('error', (e) => die(`failed: ${e.message}`));
    this.proc.on('exit', (code, sig) => die(`exited (${sig ?? code})`));
  }

  static async start(bin?: string): Promise<NativeHelper> {
    return new NativeHelper(bin ?? (await buildHelper()));
  }

  /** Send one command line; the answer line. */
  private send(line: string): Promise<string> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.proc.stdin.write(`${line}\n`);
    });
  }

  /** A command's outcome: ok (with hex) or an errno; `fail` answers are driver errors. */
  async command(line: string): Promise<{ ok: true; hex: string } | { errno: string }> {
    const r = await this.send(line);
    if (r === 'ok') return { ok: true, hex: '' };
    if (r.startsWith('ok ')) return { ok: true, hex: r.slice(3) };
    if (r.startsWith('err ')) return { errno: errnoNameOf(Number(r.slice(4))) };
    const why = r.startsWith('fail ') ? r.slice(5) : r;
    throw new DriverError(`native helper: ${line.split(' ')[0]}: ${why}${this.stderr ? ` (${this.stderr.trim()})` : ''}`);
  }

  /** Like command(), but a driver error unless it succeeded (pin, open, cpu). */
  async must(line: string): Promise<void> {
    const r = await this.command(line);
    if (!('ok' in r)) throw new DriverError(`native helper: '${line}' failed with ${r.errno}`);
  }

  async create(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, name: string, lockOffset: number, mapExtra: number, inner?: string): Promise<Outcome> {
    const r = await this.command(`create ${type} ${keySize} ${valueSize} ${maxEntries} ${flags} ${name === '' ? '-' : name} ${lockOffset} ${mapExtra} ${inner ?? '-'}`);
    return 'ok' in r ? { ok: true } : r;
  }

  /** A lookup or lookup-and-delete; `initial` is what the buffer holds before the call. */
  async elem(op: 'lookup' | 'lookupdelete', key: Uint8Array | null, flags: number, outLen: number, initial?: Uint8Array): Promise<{ bytes: Uint8Array } | { errno: string }> {
    const init = initial && initial.length > 0 ? ` ${hexOf(initial)}` : '';
    const r = await this.command(`${op} ${key ? hexOf(key) || '=' : '-'} ${flags} ${outLen}${init}`);
    if (!('ok' in r)) return r;
    return { bytes: bytesOf(r.hex) };
  }

  /** A program's bpf_map_lookup_elem on the helper's CPU: this CPU's value, or ENOENT for NULL. */
  async progLookup(key: Uint8Array, valueSize: number): Promise<{ bytes: Uint8Array } | { errno: string }> {
    const r = await this.command(`proglookup ${hexOf(key)} ${valueSize}`);
    return 'ok' in r ? { bytes: bytesOf(r.hex) } : r;
  }

  /** BPF_MAP_LOOKUP_(AND_DELETE_)BATCH: the errno (null: 0), the count written back, out_batch if written, the data. */
  async lookupBatch(del: boolean, inBatch: Uint8Array | null, count: number, elemFlags: number, flags: number,
    keySize: number, valueSize: number, outLen: number): Promise<{ errno: string | null; count: number; outBatch: Uint8Array | null; keys: Uint8Array; values: Uint8Array }> {
    const r = await this.command(`lookupbatch ${del ? 1 : 0} ${inBatch ? hexOf(inBatch) || '=' : '-'} ${count} ${elemFlags} ${flags} ${keySize} ${valueSize} ${outLen}`);
    if (!('ok' in r)) throw new DriverError(`native helper: lookupbatch answered ${r.errno}`);
    const [e, n, out, keys, values] = r.hex.split(' ');
    return {
      errno: Number(e) === 0 ? null : errnoNameOf(Number(e)), count: Number(n), outBatch: out === '-' ? null : bytesOf(out!),
      keys: bytesOf(keys === '=' ? '' : keys!), values: bytesOf(values === '=' ? '' : values!),
    };
  }

  /** BPF_MAP_UPDATE_BATCH (values given) or BPF_MAP_DELETE_BATCH: the errno (null: 0) and the count written back. */
  async writeBatch(values: Uint8Array | string | null, keys: Uint8Array, count: number, elemFlags: number, flags: number): Promise<{ errno: string | null; count: number }> {
    const k = hexOf(keys) || '=';
    const v = typeof values === 'string' ? values : values === null ? '' : hexOf(values) || '=';
    const line = values === null ? `deletebatch ${k} ${count} ${elemFlags} ${flags}` : `updatebatch ${k} ${v} ${count} ${elemFlags} ${flags}`;
    const r = await this.command(line);
    if (!('ok' in r)) throw new DriverError(`native helper: ${line.split(' ')[0]} answered ${r.errno}`);
    const [e, n] = r.hex.split(' ');
    return { errno: Number(e) === 0 ? null : errnoNameOf(Number(e)), count: Number(n) };
  }

  /** An update; a string value is the helper's "@name" object reference. */
  async update(key: Uint8Array | null, value: Uint8Array | string, flags: number): Promise<Outcome> {
    const v = typeof value === 'string' ? value : hexOf(value) || '=';
    const r = await this.command(`update ${key ? hexOf(key) || '=' : '-'} ${v} ${flags}`);
    return 'ok' in r ? { ok: true } : r;
  }

  async delete(key: Uint8Array | null): Promise<Outcome> {
    const r = await this.command(`delete ${key ? hexOf(key) || '=' : '-'}`);
    return 'ok' in r ? { ok: true } : r;
  }

  async getNextKey(key: Uint8Array | null, keySize: number): Promise<Outcome> {
    const r = await this.command(`getnext ${key ? hexOf(key) || '=' : '-'} ${keySize}`);
    return 'ok' in r ? { key: r.hex } : r;
  }

  async freeze(): Promise<Outcome> {
    const r = await this.command('freeze');
    return 'ok' in r ? { ok: true } : r;
  }

  async info(): Promise<Outcome> {
    const r = await this.command('info');
    if (!('ok' in r)) return r;
    const [type, keySize, valueSize, maxEntries, flags, mapExtra, frozen, name] = r.hex.split(' ');
    return infoOutcome({
      type: mapTypeName(Number(type)) ?? `type ${type}`, keySize: Number(keySize), valueSize: Number(valueSize),
      maxEntries: Number(maxEntries), flags: Number(flags), mapExtra: Number(mapExtra), name: name === '-' ? '' : name!, frozen: frozen === '1',
    });
  }

  async stop(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end();
    await exited;
  }
}
