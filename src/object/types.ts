// The loader's output (contract: plan/objects.md, "The loader's output"). Plain data: the runtime
// creates maps from ObjectMap and hands ObjectProgram.insns to the translator; the same object's
// bytes can go to the kernel unchanged.
import type { Btf, ValueField } from './btf.js';

export type { ValueField };

export interface BpfObject {
  /** libbpf's object name: the file's basename up to its first '.'. */
  name: string;
  /** From SEC("license"), '' if none. */
  license: string;
  /** Index = the map index used in relocated instructions (ld_imm64 imm). */
  maps: ObjectMap[];
  /** Entry-point programs (not .text sub-programs), sorted by section index then offset, as libbpf. */
  programs: ObjectProgram[];
  /** Parsed .BTF with DATASEC sizes and VAR offsets fixed up; null for an object built without -g. */
  btf: Btf | null;
  /** The object as given. */
  bytes: Uint8Array;
}

export interface ObjectMap {
  /** Symbol name; for global data libbpf's internal name ('longobje.bss', '.rodata.str1.1', ...). */
  name: string;
  /** Where the definition came from: BTF in '.maps', a legacy struct bpf_map_def in 'maps', a global-data section, or code (rawObject). */
  kind: 'btf' | 'legacy' | 'data' | 'raw';
  /** '.maps', 'maps', '.bss', '.data', '.rodata', '.rodata.str1.1', '.data.foo', ...; '' for a raw map. */
  section: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra: number;
  pinning: number;
  numaNode: number;
  /** BTF type ids, 0 when none. For global data the value type is the section's DATASEC. */
  keyTypeId: number;
  valueTypeId: number;
  /** Byte offset of the value's struct bpf_spin_lock (from BTF), -1 if none. */
  lockOffset: number;
  /** The value's C type flattened (when BTF describes it). */
  valueFields?: ValueField[];
  /** Global data: the section's bytes (.bss: zeros), valueSize long. */
  initial?: Uint8Array;
  /** .rodata*: frozen after initialisation; programs may not write it. */
  readonly?: boolean;
  /** __array(values, struct inner): the inner map template (named '<outer>.inner'). */
  inner?: ObjectMap;
  /** __array initialisers: slot index -> the map (map-in-map) or program (prog array) by name. */
  initSlots?: { index: number; target: string }[];
}

/** Our name for a program kind: libbpf's SEC() prefix, with kprobe/kretprobe etc. told apart. */
export type ProgramType =
  | 'socket' | 'sk_reuseport' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'ksyscall' | 'kretsyscall'
  | 'usdt' | 'kprobe.multi' | 'kretprobe.multi' | 'tc' | 'tcx' | 'action' | 'tracepoint' | 'raw_tp'
  | 'raw_tp.w' | 'tp_btf' | 'fentry' | 'fexit' | 'fmod_ret' | 'freplace' | 'lsm' | 'lsm_cgroup' | 'iter'
  | 'syscall' | 'xdp' | 'perf_event' | 'lwt_in' | 'lwt_out' | 'lwt_xmit' | 'lwt_seg6local' | 'sockops'
  | 'sk_skb' | 'sk_msg' | 'lirc_mode2' | 'flow_dissector' | 'cgroup_skb' | 'cgroup_sock'
  | 'cgroup_sock_addr' | 'cgroup_sysctl' | 'cgroup_sockopt' | 'cgroup_device' | 'struct_ops'
  | 'sk_lookup' | 'netfilter';

export interface LineInfo {
  /** Instruction index in the linked array. */
  insn: number;
  file: string;
  line: number;
  col: number;
  /** The source line's text, as clang recorded it. */
  text: string;
}

export interface ObjectProgram {
  /** The function's symbol name. */
  name: string;
  /** The SEC() name as written, e.g. 'kprobe/sys_clone', 'tc', '?xdp'. */
  section: string;
  type: ProgramType;
  /** What follows the type in the section name ('' if none), e.g. 'sys_clone', 'syscalls/sys_enter_openat'. */
  attachTo: string;
  /** enum bpf_prog_type, for handing the program to the kernel (an addition to objects.md). */
  progType: number;
  /** enum bpf_attach_type libbpf would pass as expected_attach_type (0 when none). */
  attachType: number;
  /** false for SEC("?...") programs, which libbpf does not load unless asked. */
  autoload: boolean;
  /** Linked and relocated instructions, 8 bytes each (objects.md, "Relocated form"). */
  insns: Uint8Array;
  /** The main program (start 0) and each appended sub-program, in linked order. */
  funcs: { name: string; start: number }[];
  /** From .BTF.ext, insn index in the linked array, sorted; [] without -g. */
  lines: LineInfo[];
  /** .BTF.ext func_info carried to linked indexes: one FUNC type id per function start. */
  funcInfo: { insn: number; typeId: number }[];
}

export interface OpenOptions {
  /** The object's name (libbpf's); defaults to 'object' for bytes, the file's basename cut at its first '.' for a path. */
  name?: string;
}
