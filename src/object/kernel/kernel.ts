// The live kernel as the judge of an object (what libbpf's bpf_object__load does, asked only for
// the verdict): the same object the runtime loads, handed to the kernel's verifier one program at
// a time, with the log of the one it refuses. Through libbpf for ELF objects; through raw
// BPF_MAP_CREATE / BPF_PROG_LOAD with our loader's map definitions and relocated instructions for
// what libbpf 1.x refuses (the legacy SEC("maps") of older objects) and for objects built in code
// (rawObject). The raw path gives maps no BTF (so a map whose value holds a bpf_spin_lock is refused
// as a map without BTF) and programs no expected attach type.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BpfObject, ObjectMap } from '../types.js';
import { buildProgHelper, errnoLabel, hexText, ProgHelper, verifierLine } from './helper.js';

/** The kernel's verdict on an object. */
export type KernelVerdict =
  | {
    verdict: 'accepted';
    /** The programs the verifier accepted, each loaded alone. */
    programs: string[];
    /** Each program's log: the verifier's statistics ("processed 6 insns (limit 1000000) ..."). */
    logs: Record<string, string>;
    /** How the object reached the kernel. */
    via: KernelPath;
  }
  | {
    verdict: 'refused';
    /** The first program refused ('' when the kernel refused the object's maps before any program). */
    program: string;
    /** The errno of the refusal ('EACCES', 'EINVAL', ...). */
    errno: string;
    /** The end of the verifier's log (its last 4 KiB), or what refused the object before the verifier ran. */
    log: string;
    /** The log's line that says why (the last before the statistics and the state dumps). */
    line: string;
    via: KernelPath;
  };

/** libbpf (bpf_object__open_mem's way, ELF objects) or raw (our maps and relocated instructions). */
export type KernelPath = 'libbpf' | 'raw';

export interface KernelVerifyOptions {
  /** The programs to verify, by name (default: every program libbpf would load). */
  programs?: readonly string[];
  /** Global-data sections' bytes before load, by section or libbpf map name (as the runtime takes them). */
  sections?: Record<string, Uint8Array>;
}

export type KernelAvailability = { ok: true; bin: string } | { ok: false; reason: string };

let availability: Promise<KernelAvailability> | null = null;

/**
 * Can this machine ask the kernel (once per process)? Linux, a C compiler and libbpf-dev to build
 * the helper, and the right to load programs (root, or CAP_BPF and CAP_SYS_ADMIN). When not, the
 * reason says what is missing.
 */
export function kernelAvailability(): Promise<KernelAvailability> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<KernelAvailability> {
  const no = (reason: string): KernelAvailability => ({ ok: false, reason });
  if (process.platform !== 'linux') return no(`the kernel's verifier needs Linux; this is ${process.platform}`);
  let bin: string;
  try {
    bin = await buildProgHelper();
  } catch (e) {
    return no((e as Error).message);
  }
  const h = new ProgHelper(bin);
  try {
    // mov64 r0, 0; exit, as a syscall program: the least the kernel loads
    await h.must('raw');
    await h.must(`rawprog probe 31 ${'b700000000000000'}${'9500000000000000'}`);
    const r = await h.ask('load');
    if ('errno' in r) {
      const why = r.errno === 1 || r.errno === 13 ? 'run as root, or with CAP_BPF and CAP_SYS_ADMIN' : verifierLine(r.text);
      return no(`the kernel refused a trivial program with ${errnoLabel(r.errno)}: ${why}`);
    }
  } catch (e) {
    return no(`bpf() does not work here: ${(e as Error).message}`);
  } finally {
    await h.stop();
  }
  return { ok: true, bin };
}

/** Does this object go through libbpf, or does it take the raw path? */
export function kernelPathOf(obj: BpfObject): KernelPath {
  // libbpf 1.0 dropped SEC("maps"); an object built in code has no ELF bytes for it.
  return obj.bytes.length === 0 || obj.maps.some((m) => m.kind === 'legacy' || m.kind === 'raw') ? 'raw' : 'libbpf';
}

const hex = (b: Uint8Array): string => (b.length === 0 ? '=' : Buffer.from(b).toString('hex'));

/** One helper process asking the kernel about objects; reuse it for many, stop it at the end. */
export class KernelLoader {
  private readonly helper: ProgHelper;

  private constructor(helper: ProgHelper) {
    this.helper = helper;
  }

  /** Start one; the caller checked kernelAvailability() (this does not ask again). */
  static async start(bin?: string): Promise<KernelLoader> {
    return new KernelLoader(new ProgHelper(bin ?? (await buildProgHelper())));
  }

  /** The kernel's verdict on the object's programs, each loaded alone with its maps created. */
  async verify(obj: BpfObject, options: KernelVerifyOptions = {}): Promise<KernelVerdict> {
    const h = this.helper;
    const via = kernelPathOf(obj);
    const names = options.programs ?? obj.programs.filter((p) => p.autoload).map((p) => p.name);
    const initial = sectionValues(obj, options.sections ?? {});
    let dir: string | null = null;
    try {
      if (via === 'raw') {
        await h.must(`raw ${hex(new TextEncoder().encode(obj.license || 'GPL'))}`);
        for (const m of obj.maps) {
          const init = initial.get(m) ?? m.initial;
          await h.must(`rawmap ${m.name} ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags}${init ? ` ${hex(init)} ${m.readonly ? 1 : 0}` : ''}`);
        }
        for (const p of obj.programs) await h.must(`rawprog ${p.name} ${p.progType} ${hex(p.insns)}`);
      } else {
        // libbpf names the object (and its global data maps) after the file.
        dir = mkdtempSync(join(tmpdir(), 'percpu-maps-verify-'));
        const file = join(dir, `${obj.name}.bpf.o`);
        writeFileSync(file, obj.bytes);
        const opened = await h.ask(`open ${file}`);
        if ('errno' in opened) return refused('', opened.errno, `${opened.text}${h.stderr ? `: ${h.stderr.trim()}` : ''}`, via);
        for (const [m, bytes] of initial) await h.must(`init ${m.section} ${hex(bytes)}`);
      }
      // The maps alone first (the programs are loaded one by one below, each with its own log).
      await h.must('select -');
      const load = await h.ask('load');
      if ('errno' in load) return refused('', load.errno, load.text, via);
      const logs: Record<string, string> = {};
      for (const name of names) {
        const r = await h.ask(`verify ${name}`);
        if ('errno' in r) return refused(name, r.errno, r.text || h.stderr.trim(), via);
        logs[name] = hexText(r.ok[1] ?? '').trim();
      }
      return { verdict: 'accepted', programs: [...names], logs, via };
    } finally {
      await h.ask('close').catch(() => undefined);
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
  }

  async stop(): Promise<void> {
    await this.helper.stop();
  }
}

function refused(program: string, errno: number, log: string, via: KernelPath): KernelVerdict {
  return { verdict: 'refused', program, errno: errnoLabel(errno), log, line: verifierLine(log), via };
}

/** The sections option by global-data map (a section name or libbpf's map name). */
function sectionValues(obj: BpfObject, sections: Record<string, Uint8Array>): Map<ObjectMap, Uint8Array> {
  const out = new Map<ObjectMap, Uint8Array>();
  for (const [name, bytes] of Object.entries(sections)) {
    const m = obj.maps.find((x) => x.kind === 'data' && (x.section === name || x.name === name));
    if (m !== undefined) out.set(m, bytes);
  }
  return out;
}

/** Verify one object with a helper of its own (KernelLoader for many). */
export async function verifyInKernel(obj: BpfObject, options: KernelVerifyOptions = {}): Promise<KernelVerdict> {
  const loader = await KernelLoader.start();
  try {
    return await loader.verify(obj, options);
  } finally {
    await loader.stop();
  }
}
