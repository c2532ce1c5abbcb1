// `percpu-maps run <file.bpf.o>`: load a real eBPF object and fire one of its programs on the
// simulated CPUs, as `bpftool prog run` drives a program (a run on one chosen CPU with input
// bytes, the return values and the packet after) or as a probe fires on every CPU.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { KernelVerifierError } from '../cpu/errors.js';
import { Runtime, type LoadedObject, type RunResult } from '../cpu/runtime.js';
import { guardSignals } from '../cpu/signals.js';
import { formatDump } from '../maps/dump.js';
import { fmtInt } from '../bench/format.js';
import { UsageError, intOption, parse } from './args.js';

export const RUN_HELP = `usage: percpu-maps run <file.bpf.o> [--probe SEC] [--cpus N] [--events N] [--on-cpu C]
                        [--data HEX|@FILE] [--ctx HEX|@FILE] [--global NAME=VALUE]...
                        [--verify kernel] [--checked|--unchecked] [--dump] [--trace] [--verbose] [--json]

Loads an eBPF object compiled by clang (clang -O2 -g -target bpf -c prog.bpf.c), translates its
programs to WebAssembly and runs one on simulated CPUs over the object's maps.

options:
  --probe SEC      the program's section to fire (e.g. kprobe/sys_clone, tc, xdp); needed when
                   the object has programs in several sections
  --cpus N         simulated CPUs (default: ${availableParallelism()}, this host's cores)
  --events N       events (default 1 with --on-cpu, --data or --ctx; else 1,000,000 spread over
                   the CPUs)
  --on-cpu C       run on CPU C only, as bpftool prog run runs on the caller's CPU
  --data HEX|@FILE the packet of tc/xdp programs (at least 14 bytes), as hex or a file
  --ctx HEX|@FILE  the context of raw_tp, syscall and tracing programs
  --global N=V     set a global variable (e.g. a const volatile knob) before load; repeatable
  --verify kernel  first hand the object to the live kernel's verifier (root, libbpf-dev) and
                   print its verdict; a refused object is not run (exit 1); an accepted one runs
                   unchecked, as the kernel's JIT runs verified code, unless --checked
  --unchecked      run without bounds checks on memory accesses (as the kernel's JIT runs
                   verified code); default: every access is checked and the first bad one stops
                   the run, naming the instruction and its C line
  --checked        keep the checks with --verify kernel
  --dump           print every map after the run, as bpftool map dump does
  --trace          print the bpf_trace_printk lines
  --verbose        with --verify kernel: the verifier's log (of a refusal, or each program's statistics)
  --json           print the result as JSON (with --verify kernel: the verdict and its log)`;

/** Bytes from `--data`/`--ctx`: hex (spaces and 0x allowed) or @file. */
function bytesOption(name: string, raw: string | boolean | undefined): Uint8Array | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') throw new UsageError('run', `--${name} needs hex bytes or @FILE`);
  if (raw.startsWith('@')) {
    try {
      return new Uint8Array(readFileSync(raw.slice(1)));
    } catch (e) {
      throw new UsageError('run', `--${name}: cannot read ${raw.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const hex = raw.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new UsageError('run', `--${name} must be hex bytes (e.g. 00112233...) or @FILE, got '${raw}'`);
  return Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));
}

function globalsOption(raw: (string | boolean)[] | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const g of raw ?? []) {
    const m = typeof g === 'string' ? /^([A-Za-z_]\w*)=(-?(?:0x[0-9a-f]+|\d+))$/i.exec(g) : null;
    if (m === null) throw new UsageError('run', `--global takes NAME=INTEGER (e.g. --global trace=1), got '${String(g)}'`);
    out[m[1]!] = BigInt(m[2]!);
  }
  return out;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('run', argv, {
    probe: { type: 'string' },
    cpus: { type: 'string' },
    events: { type: 'string' },
    'on-cpu': { type: 'string' },
    data: { type: 'string' },
    ctx: { type: 'string' },
    global: { type: 'string', multiple: true },
    unchecked: { type: 'boolean' },
    checked: { type: 'boolean' },
    verify: { type: 'string' },
    verbose: { type: 'boolean' },
    dump: { type: 'boolean' },
    trace: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    process.stdout.write(RUN_HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError('run', positionals.length === 0 ? 'name the object to run: percpu-maps run prog.bpf.o' : `one object at a time, got ${positionals.join(' ')}`);
  }
  const file = positionals[0]!;
  const cpus = intOption('run', 'cpus', values.cpus, 1, 1024) ?? availableParallelism();
  const onCpu = intOption('run', 'on-cpu', values['on-cpu'], 0, cpus - 1);
  const data = bytesOption('data', values.data);
  const ctx = bytesOption('ctx', values.ctx);
  const single = onCpu !== undefined || data !== undefined || ctx !== undefined;
  const events = intOption('run', 'events', values.events, 1, 2 ** 32 - 1) ?? (single ? 1 : 1_000_000);
  const globals = globalsOption(values.global as (string | boolean)[] | undefined);
  const json = values.json === true;
  const verify = values.verify as string | undefined;
  if (verify !== undefined && verify !== 'kernel') throw new UsageError('run', `--verify takes 'kernel' (the live kernel's verifier), got '${verify}'`);
  if (values.checked === true && values.unchecked === true) throw new UsageError('run', '--checked and --unchecked contradict each other');
  if (values.checked === true && verify === undefined) throw new UsageError('run', '--checked goes with --verify kernel (without it every access is checked anyway)');
  const verbose = values.verbose === true;
  // Checked by default; with --verify kernel the kernel vouches for the accesses, unless --checked.
  const checked = values.unchecked === true ? false : values.checked === true ? true : verify === undefined ? true : undefined;

  const rt = await Runtime.start({ cpus, onWarning: () => {} });
  let current: Runtime | null = rt;
  const guard = guardSignals(() => current);
  try {
    let obj: LoadedObject;
    try {
      obj = await rt.loadObject(file, { checked, globals, ...(verify === undefined ? {} : { verify: 'kernel' as const }) });
    } catch (e) {
      if (!(e instanceof KernelVerifierError)) throw e;
      const verdict = { verdict: 'refused', program: e.program, errno: e.errno, line: e.line, log: e.log };
      process.stdout.write(json ? JSON.stringify({ file, kernel: verdict }, null, 2) + '\n' : refusalText(e, verbose) + '\n');
      return 1;
    }
    const probe = pickProbe(obj, values.probe as string | undefined);
    const result = await rt.run({ probe, events, ...(onCpu !== undefined ? { cpu: onCpu } : single ? { cpu: 0 } : {}), data, ctx });
    const trace = values.trace === true ? rt.readTrace() : [];
    const dumps = values.dump === true ? Object.fromEntries(Object.entries(obj.maps).map(([n, m]) => [n, m.dump()])) : undefined;
    if (json) {
      process.stdout.write(JSON.stringify({
        object: obj.name, file, probe, checked: obj.checked, warnings: obj.warnings, ...(obj.kernel ? { kernel: obj.kernel } : {}),
        programs: obj.programs.filter((p) => p.section === probe).map((p) => p.name),
        cpus, events: result.events, stopped: result.stopped, eventsPerSec: result.eventsPerSec,
        perCpu: result.perCpu, returns: result.returns, lastReturn: result.lastReturn,
        ...(result.dataOut ? { dataOut: hex(result.dataOut) } : {}),
        ...(values.trace === true ? { trace } : {}),
        ...(dumps ? { maps: dumps } : {}),
        interrupted: guard.received,
      }, null, 2) + '\n');
    } else {
      const verdict = obj.kernel === undefined ? [] : acceptedText(obj, verbose);
      process.stdout.write([...verdict, render(obj, probe, result, trace, dumps)].join('\n') + '\n');
    }
  } finally {
    current = null;
    await rt.close();
    guard.dispose();
  }
  return guard.exitCode(0);
}

/** The probe to fire: the one asked for, or the object's only one. */
function pickProbe(obj: LoadedObject, asked: string | undefined): string {
  if (asked !== undefined) {
    if (!obj.probes.includes(asked)) throw new UsageError('run', `--probe '${asked}' is not a section of ${obj.name}; its programs' sections: ${obj.probes.join(', ')}`);
    return asked;
  }
  if (obj.probes.length === 1) return obj.probes[0]!;
  throw new UsageError('run', `${obj.name} has programs in ${obj.probes.length} sections; choose one with --probe: ${obj.probes.join(', ')}`);
}

/** The kernel's acceptance: one line, and with --verbose each program's statistics. */
function acceptedText(obj: LoadedObject, verbose: boolean): string[] {
  const k = obj.kernel!;
  if (k.verdict !== 'accepted') return [];
  const out = [`kernel verifier: accepted ${k.programs.join(', ')} (through ${k.via === 'raw' ? 'raw BPF_PROG_LOAD' : 'libbpf'})`];
  if (verbose) for (const p of k.programs) out.push(`  ${p}: ${k.logs[p] || '(no log)'}`);
  return out;
}

/** The kernel's refusal: the line that says why, and with --verbose the end of the log. */
function refusalText(e: KernelVerifierError, verbose: boolean): string {
  const out = [`kernel verifier: refused ${e.program ? `program '${e.program}'` : 'the object\'s maps'} (${e.errno}): ${e.line || '(no log)'}`];
  if (verbose) out.push('', 'verifier log (its end):', e.log.trimEnd());
  else out.push('(the verifier\'s log: --verbose or --json)');
  out.push('The object was not run.');
  return out.join('\n');
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** A return value as BPF_PROG_TEST_RUN reports it (u32), with its signed reading when it looks like -errno. */
function retval(v: number): string {
  return v >= 0x80000000 ? `${v} (${v - 0x100000000})` : String(v);
}

function render(obj: LoadedObject, probe: string, r: RunResult, trace: string[], dumps?: Record<string, ReturnType<LoadedObject['maps'][string]['dump']>>): string {
  const progs = obj.programs.filter((p) => p.section === probe).map((p) => p.name).join(', ');
  const ran = r.perCpu.filter((c) => c.events > 0).map((c) => c.cpu);
  const out = [
    `${obj.name}: ${progs} (${probe}) on CPU${ran.length === 1 ? '' : 's'} ${ran.join(', ') || '-'}${obj.checked ? '' : ', unchecked'}`,
    ...obj.warnings.map((w) => `warning: ${w}`),
    `events:       ${fmtInt(r.events)}${r.stopped ? ' (stopped)' : ''}${r.events >= 1000 ? `, ${(r.eventsPerSec / 1e6).toFixed(1)} M events/s` : ''}`,
    `return value: ${(r.returns ?? []).map((x) => `${retval(x.value)} x ${fmtInt(x.count)}`).join(', ') || '-'}${r.lastReturn !== undefined && (r.returns?.length ?? 0) > 1 ? `; last ${retval(r.lastReturn)}` : ''}`,
  ];
  if (r.dataOut) out.push(`data out:     ${hex(r.dataOut)}`);
  if (trace.length > 0) out.push('', 'trace_pipe:', ...trace);
  for (const [name, entries] of Object.entries(dumps ?? {})) out.push('', `map '${name}' (bpftool map dump):`, formatDump(entries));
  return out.join('\n');
}
