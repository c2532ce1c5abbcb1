// A load-time check for what the kernel's verifier would refuse in a program, so a program that
// runs here is not a program the kernel rejects (the runtime's `verifier` option, the CLI's
// --verifier). The kernel reads instructions; we read the handlers' source text (fn.toString()),
// so this catches the common shapes, not every program the kernel would refuse. What it cannot see
// at load time (a lock left held on one path, a call under a lock in a helper function) the
// runtime still catches when it happens (sync/spinlock.ts), with the same messages.
//
// Messages are the kernel's own lines (Linux 6.18, checked by loading C equivalents with bpftool):
//   tracing progs cannot use bpf_spin_lock yet               a kprobe/tracepoint/perf_event/raw_tracepoint
//                                                            program uses a map whose value has a lock
//   socket filter progs cannot use bpf_spin_lock yet         the same in a socket filter
//   R0 invalid mem access 'map_value_or_null'                a lookup's result used without a NULL check
//   R0 invalid mem access 'ringbuf_mem_or_null'              a reservation used without a NULL check
//   BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region
//   function calls are not allowed while holding a lock
// Since Linux 6.13 a lookup in an ARRAY or PERCPU_ARRAY with a constant key below max_entries
// cannot return NULL, and the verifier accepts it unchecked; so do we.

import type { BpfMap } from '../maps/syscall.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY } from '../maps/uapi.js';
import {
  VERIFIER_CALL_WITH_LOCK, VERIFIER_EXIT_WITH_LOCK,
} from '../sync/spinlock.js';
import { ProgramLoadError } from './errors.js';
import type { Program } from './program.js';

export interface VerifierFinding {
  /** The handler's probe, e.g. 'kprobe/sys_clone'. */
  readonly probe: string;
  /** The kernel verifier's line. */
  readonly message: string;
  /** Where and what to do. */
  readonly detail: string;
}

/** The program would not pass the kernel's verifier: load refused it before creating its maps. */
export class VerifierError extends ProgramLoadError {
  override name = 'VerifierError';
  readonly program: string;
  readonly findings: readonly VerifierFinding[];
  constructor(program: string, findings: readonly VerifierFinding[]) {
    super(`the verifier rejects program '${program}':\n` +
      findings.map((f) => `  ${f.probe}: ${f.message}\n    ${f.detail}`).join('\n'));
    this.program = program;
    this.findings = findings;
  }
}

/** Program types by SEC() prefix, as the kernel's lock rule sees them. */
function lockRule(probe: string): 'tracing' | 'socket' | null {
  const type = probe.slice(0, probe.indexOf('/'));
  switch (type) {
    // BPF_PROG_TYPE_KPROBE (uprobes and USDT too), TRACEPOINT, RAW_TRACEPOINT, PERF_EVENT.
    case 'kprobe': case 'kretprobe': case 'uprobe': case 'uretprobe': case 'usdt':
    case 'tracepoint': case 'raw_tracepoint': case 'perf_event':
      return 'tracing';
    case 'socket':
      return 'socket';
    default:
      // tc, xdp, cgroup_skb, tp_btf, fentry/fexit, lsm may use bpf_spin_lock.
      return null;
  }
}

const IDENT = '[A-Za-z_$][\\w$]*';

/** Every finding for a program, kernel order within each handler (map checks first, then code order). */
export function verifyProgram(program: Program): VerifierFinding[] {
  const out: VerifierFinding[] = [];
  for (const [probe, fn] of Object.entries(program.handlers)) {
    const src = stripComments(String(fn));
    out.push(...checkMapUse(probe, src, program.maps));
    out.push(...checkCode(probe, src, program.maps));
  }
  return out;
}

/** check_map_prog_compatibility: a value with a bpf_spin_lock in a program type that may not lock. */
function checkMapUse(probe: string, src: string, maps: Record<string, BpfMap>): VerifierFinding[] {
  const rule = lockRule(probe);
  if (rule === null) return [];
  for (const [name, map] of Object.entries(maps)) {
    if ((map.spec.value?.lockOffset ?? -1) < 0 || !mentions(src, name)) continue;
    const type = probe.slice(0, probe.indexOf('/'));
    return [{
      probe,
      message: rule === 'tracing' ? 'tracing progs cannot use bpf_spin_lock yet' : 'socket filter progs cannot use bpf_spin_lock yet',
      detail: `map '${name}' has a bpf_spin_lock in its value and this is a ${type} program; the kernel refuses ` +
        'the program even if it never takes the lock. Count with __sync_fetch_and_add or a PERCPU_ARRAY instead, ' +
        'or attach the locking code to a tc, xdp, cgroup_skb or tp_btf program.',
    }];
  }
  return [];
}

interface Call { name: string; at: number; argsStart: number; end: number; args: string }

/** Calls of bpf_* helpers in source order, also in the `(0, mod.fn)(...)` form bundlers emit. */
function helperCalls(src: string): Call[] {
  const calls: Call[] = [];
  const re = /\b(bpf_[a-z0-9_]+)\s*\)?\s*\(/g;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    const argsStart = m.index + m[0].length;
    const end = closingParen(src, argsStart);
    if (end < 0) continue;
    calls.push({ name: m[1]!, at: m.index, argsStart, end, args: src.slice(argsStart, end) });
  }
  return calls;
}

function checkCode(probe: string, src: string, maps: Record<string, BpfMap>): VerifierFinding[] {
  const out: VerifierFinding[] = [];
  const calls = helperCalls(src);
  for (const call of calls) {
    if (call.name === 'bpf_map_lookup_elem' || call.name === 'bpf_map_lookup_percpu_elem') {
      if (call.name === 'bpf_map_lookup_elem' && neverNull(call.args, maps)) continue;
      const use = uncheckedUse(src, call);
      if (use !== null) {
        out.push({
          probe,
          message: "R0 invalid mem access 'map_value_or_null'",
          detail: `the result of ${call.name}(${call.args.trim()}) is used at '${use}' without a NULL check; ` +
            'the lookup returns NULL when the key is absent. Add `if (v === null) return 0;` before the first use.',
        });
      }
    } else if (call.name === 'bpf_ringbuf_reserve') {
      const use = uncheckedUse(src, call);
      if (use !== null) {
        out.push({
          probe,
          message: "R0 invalid mem access 'ringbuf_mem_or_null'",
          detail: `the record from bpf_ringbuf_reserve(${call.args.trim()}) is used at '${use}' without a NULL check; ` +
            'a reservation fails (NULL) when the ring is full. Check it before writing.',
        });
      }
    }
  }
  // Locked regions in straight-line order: from a bpf_spin_lock to the next bpf_spin_unlock.
  let lockedAt = -1;
  for (const call of calls) {
    if (call.name === 'bpf_spin_lock') {
      if (lockedAt >= 0) {
        out.push({ probe, message: VERIFIER_CALL_WITH_LOCK, detail: 'bpf_spin_lock is called again before bpf_spin_unlock; a program holds one lock at a time (taking the same one twice deadlocks).' });
      }
      lockedAt = call.at;
    } else if (call.name === 'bpf_spin_unlock') {
      lockedAt = -1;
    } else if (lockedAt >= 0) {
      out.push({ probe, message: VERIFIER_CALL_WITH_LOCK, detail: `${call.name} is called between bpf_spin_lock and bpf_spin_unlock; call it before taking the lock or after releasing it.` });
    }
  }
  if (calls.some((c) => c.name === 'bpf_spin_lock') && !calls.some((c) => c.name === 'bpf_spin_unlock')) {
    out.push({ probe, message: VERIFIER_EXIT_WITH_LOCK, detail: 'the handler takes a bpf_spin_lock and never calls bpf_spin_unlock; release the lock on every path before returning.' });
  }
  return out;
}

/**
 * The 6.13+ exception: an ARRAY or PERCPU_ARRAY lookup with a constant key below max_entries
 * always finds its element.
 */
function neverNull(args: string, maps: Record<string, BpfMap>): boolean {
  const m = new RegExp(`^\\s*(${IDENT})\\s*,\\s*(\\d+)\\s*$`).exec(args);
  if (m === null) return false;
  const map = maps[m[1]!];
  if (map === undefined) return false;
  const type = map.attr.type;
  return (type === BPF_MAP_TYPE_ARRAY || type === BPF_MAP_TYPE_PERCPU_ARRAY) && Number(m[2]) < map.attr.maxEntries;
}

/**
 * The first use of a call's result, if it dereferences the result before any test for NULL: the
 * text of that use, else null. Follows the result directly (`lookup(...).x`) or through the
 * variable it is assigned to (`const v = lookup(...); v.x`).
 */
function uncheckedUse(src: string, call: Call): string | null {
  const after = src.slice(call.end + 1);
  const direct = /^\s*!?\s*(\.(?!\.)|\[)/.exec(after);
  if (direct) return `${call.name}(...)${direct[1]}${/^[\w$]*/.exec(after.slice(direct[0].length))![0]}`;
  const before = src.slice(Math.max(0, call.at - 200), call.at);
  const assign = new RegExp(`(?:^|[^\\w$.])(${IDENT})\\s*(?::[^=;]*)?=\\s*(?:\\(\\s*0\\s*,\\s*)?(?:${IDENT}\\.)?$`).exec(before);
  if (assign === null) return null;
  const name = assign[1]!;
  const m = identifierUse(name).exec(after);
  if (m === null) return null;
  const at = m.index + m[1]!.length;
  const prefix = after.slice(Math.max(0, at - 30), at);
  const rest = after.slice(at + name.length);
  // Tests for NULL: !v, v === null, v == null, v !== null, null === v, if (v), v && ..., v ? ..., v?.x
  if (/!\s*$/.test(prefix) || /(null|undefined)\s*[!=]==?\s*$/.test(prefix) || /\bif\s*\(\s*$/.test(prefix)) return null;
  if (/^\s*([!=]==?\s*(null|undefined|0\b)|&&|\|\||\?)/.test(rest)) return null;
  const deref = /^\s*(\.(?!\.)|\[)([\w$]*)/.exec(rest);
  return deref ? `${name}${deref[1]}${deref[2]}` : null;
}

function mentions(src: string, name: string): boolean {
  return identifierUse(name).test(src);
}

/** `name` as a whole identifier, not a property (`.name`); group 1 is the character before it. */
function identifierUse(name: string): RegExp {
  return new RegExp(`(^|[^\\w$.])${escape(name)}(?![\\w$])`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function closingParen(src: string, from: number): number {
  let depth = 1;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1');
}
