// bpf_trace_printk() and the trace pipe the coordinator reads (/sys/kernel/debug/tracing/trace_pipe).
//
// Each CPU writes its lines into its own ring in one shared buffer; the coordinator drains them
// and prints each in the kernel's trace_pipe format. Tracing is for a few events while debugging,
// as in the kernel: formatting a line allocates.
//
// Buffer layout (per CPU c, at c * RING_STRIDE):
//   offset  size              meaning                                  written by
//   0       4                 head: bytes ever written (u32, wraps)    CPU c
//   4       4                 tail: bytes ever read                    coordinator
//   8       4                 dropped: lines that did not fit          CPU c
//   64      RING_BYTES        records: u16 length, then UTF-8 text     CPU c

const RING_BYTES = 64 * 1024;
const HEADER = 64;
const RING_STRIDE = HEADER + RING_BYTES;

export class TracePipe {
  readonly buffer: SharedArrayBuffer;
  readonly cpus: number;
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;

  constructor(cpus: number, buffer?: SharedArrayBuffer) {
    this.cpus = cpus;
    this.buffer = buffer ?? new SharedArrayBuffer(cpus * RING_STRIDE);
    this.i32 = new Int32Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
  }

  /** Append one line from CPU `cpu`; dropped (and counted) when the ring is full. */
  write(cpu: number, line: string): void {
    const text = new TextEncoder().encode(line).subarray(0, 0xffff);
    const base = (cpu * RING_STRIDE) >>> 2;
    const head = Atomics.load(this.i32, base);
    const tail = Atomics.load(this.i32, base + 1);
    const need = 2 + text.length;
    if (((head - tail) >>> 0) + need > RING_BYTES) {
      Atomics.add(this.i32, base + 2, 1);
      return;
    }
    const data = cpu * RING_STRIDE + HEADER;
    const put = (pos: number, byte: number) => { this.u8[data + ((pos >>> 0) % RING_BYTES)] = byte; };
    put(head, text.length & 0xff);
    put(head + 1, text.length >>> 8);
    for (let i = 0; i < text.length; i++) put(head + 2 + i, text[i]!);
    // Publish the record only once its bytes are written.
    Atomics.store(this.i32, base, (head + need) | 0);
  }

  /** Take every complete line written so far, CPU by CPU. */
  drain(): { cpu: number; text: string }[] {
    const out: { cpu: number; text: string }[] = [];
    const decoder = new TextDecoder();
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const base = (cpu * RING_STRIDE) >>> 2;
      const data = cpu * RING_STRIDE + HEADER;
      const head = Atomics.load(this.i32, base);
      let tail = Atomics.load(this.i32, base + 1);
      const get = (pos: number) => this.u8[data + ((pos >>> 0) % RING_BYTES)]!;
      while (tail !== head) {
        const len = get(tail) | (get(tail + 1) << 8);
        const bytes = new Uint8Array(len);
        for (let i = 0; i < len; i++) bytes[i] = get(tail + 2 + i);
        out.push({ cpu, text: decoder.decode(bytes) });
        tail = (tail + 2 + len) | 0;
      }
      Atomics.store(this.i32, base + 1, tail);
    }
    return out;
  }

  dropped(): number {
    let n = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) n += Atomics.load(this.i32, ((cpu * RING_STRIDE) >>> 2) + 2);
    return n;
  }
}

/**
 * The kernel's bpf_trace_printk() format: %d %i %u %x %X %s %c %p %%, with the l, ll and h
 * length modifiers accepted (numbers are numbers here). At most 3 arguments, as the helper allows.
 */
export function formatTrace(fmt: string, args: readonly unknown[]): string | null {
  if (args.length > 3) return null;
  let i = 0;
  let bad = false;
  const text = fmt.replace(/%(%|l{0,2}|h{0,2})([dixXuscp%])?/g, (all, mod: string, conv: string | undefined) => {
    if (mod === '%') return '%';
    if (conv === undefined) { bad = true; return all; }
    if (conv === '%') return '%';
    const a = args[i++];
    switch (conv) {
      case 'd': case 'i': return String(Math.trunc(Number(a)));
      case 'u': return String(Math.trunc(Number(a)) >>> 0 === Number(a) ? Number(a) >>> 0 : Math.abs(Math.trunc(Number(a))));
      case 'x': return Math.trunc(Number(a)).toString(16);
      case 'X': return Math.trunc(Number(a)).toString(16).toUpperCase();
      case 'p': return '0x' + Math.trunc(Number(a)).toString(16);
      case 'c': return String.fromCharCode(Number(a));
      default: return String(a);
    }
  });
  if (bad || i > args.length) return null;
  return text;
}

/** One line as trace_pipe prints it: task-pid, [cpu], flags, timestamp in seconds, the event, the text. */
export function traceLine(comm: string, pid: number, cpu: number, timestampNs: number, text: string): string {
  const task = `${comm}-${pid}`;
  const secs = (timestampNs / 1e9).toFixed(6);
  return `${task.padStart(22)}   [${String(cpu).padStart(3, '0')}] d..31 ${secs.padStart(12)}: bpf_trace_printk: ${text}`;
}

/**
 * bpf_trace_printk() on a program's bytes, with the kernel's rules (bpf_bprintf_prepare): the
 * format ends at its first NUL within fmt_size bytes (none there: -EINVAL), holds only printable
 * ASCII and white space, and at most `maxArgs` conversions among %d %i %u %x %X (with l or ll),
 * %c, %s, %p (and %pK %px %pB %pks %pus %pi4 %pI4 %pi6 %pI6), %%, each after optional flags
 * [0 +-space] and a width, as the helper's checker skips them (no precision: '.' is refused). The
 * text is what the kernel's vsnprintf makes of it: without a length modifier a number is its low
 * 32 bits (%d signed), a width pads with spaces (or zeros after '0', on the left unless '-'), '+'
 * and ' ' sign a non-negative %d, a pointer is 16 zero-padded hex digits. Returns the text, or null
 * where the kernel says -EINVAL. `str(addr)` reads a NUL-terminated string of the program's memory
 * (%s, %pks, %pus), `bytes(addr, n)` n bytes (%pI4, %pI6).
 */
export function bprintf(fmt: Uint8Array, args: readonly bigint[], str: (addr: number) => string | null,
  bytes: (addr: number, n: number) => Uint8Array | null): string | null {
  const end = fmt.indexOf(0);
  if (end < 0) return null;
  let out = '';
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = fmt[i]!;
    // isprint || isspace, and ASCII.
    if (!((c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d))) return null;
    if (c !== 0x25 /* % */) {
      out += String.fromCharCode(c);
      continue;
    }
    i++;
    if (fmt[i] === 0x25) {
      out += '%';
      continue;
    }
    if (n >= args.length) return null;
    const arg = args[n++]!;
    // Flags, then a width that does not start with 0.
    const spec: PrintSpec = { left: false, zero: false, plus: false, space: false, width: -1 };
    for (;; i++) {
      const f = fmt[i];
      if (f === 0x2d /* - */) spec.left = true;
      else if (f === 0x30 /* 0 */) spec.zero = true;
      else if (f === 0x2b /* + */) spec.plus = true;
      else if (f === 0x20 /* space */) spec.space = true;
      else break;
    }
    if (fmt[i]! >= 0x31 && fmt[i]! <= 0x39) {
      spec.width = 0;
      while (fmt[i]! >= 0x30 && fmt[i]! <= 0x39) spec.width = spec.width * 10 + fmt[i++]! - 0x30;
    }
    let long = 0;
    while (fmt[i] === 0x6c /* l */ && long < 2) {
      long++;
      i++;
    }
    const conv = String.fromCharCode(fmt[i] ?? 0);
    const wide = long > 0;
    switch (conv) {
      case 'd': case 'i': {
        const v = wide ? BigInt.asIntN(64, arg) : BigInt.asIntN(32, arg);
        out += padNumber(spec, v < 0n ? '-' : spec.plus ? '+' : spec.space ? ' ' : '', String(v < 0n ? -v : v));
        break;
      }
      case 'u':
        out += padNumber(spec, '', String(wide ? BigInt.asUintN(64, arg) : BigInt.asUintN(32, arg)));
        break;
      case 'x': case 'X': {
        const h = (wide ? BigInt.asUintN(64, arg) : BigInt.asUintN(32, arg)).toString(16);
        out += padNumber(spec, '', conv === 'X' ? h.toUpperCase() : h);
        break;
      }
      case 'c':
        if (wide) return null;
        out += padText(spec, String.fromCharCode(Number(arg & 0xffn)));
        break;
      case 's': {
        if (wide) return null;
        const s = str(Number(BigInt.asUintN(32, arg)));
        out += padText(spec, s ?? '(efault)');
        break;
      }
      case 'p': {
        if (wide) return null;
        const next = String.fromCharCode(fmt[i + 1] ?? 0);
        const addr = Number(BigInt.asUintN(32, arg));
        if ((next === 'k' || next === 'u') && fmt[i + 2] === 0x73 /* s */) {
          i += 2;
          out += padText(spec, str(addr) ?? '(efault)');
        } else if ((next === 'i' || next === 'I') && (fmt[i + 2] === 0x34 || fmt[i + 2] === 0x36)) {
          const v6 = fmt[i + 2] === 0x36;
          i += 2;
          const b = bytes(addr, v6 ? 16 : 4);
          if (b === null) out += '(efault)';
          else if (!v6) out += [...b].join('.');
          else {
            const groups: string[] = [];
            for (let k = 0; k < 16; k += 2) groups.push(((b[k]! << 8) | b[k + 1]!).toString(16).padStart(next === 'I' ? 4 : 1, '0'));
            out += groups.join(':');
          }
        } else {
          if (next === 'K' || next === 'x' || next === 'B') i++;
          // The kernel's pointer_string: without a width, 16 hex digits zero-padded, no 0x. (%p of a
          // kernel pointer is hashed there; %px prints it. Ours are addresses in the object's memory.)
          const p: PrintSpec = spec.width < 0 ? { ...spec, zero: true, width: 16 } : spec;
          out += padNumber(p, '', BigInt.asUintN(64, arg).toString(16));
        }
        break;
      }
      default:
        return null;
    }
  }
  return out;
}

/** The flags and width of one conversion (-1: no width). */
interface PrintSpec {
  left: boolean;
  zero: boolean;
  plus: boolean;
  space: boolean;
  width: number;
}

/** vsnprintf's number(): the sign, then zeros (ZEROPAD, not left-justified) or spaces to the width. */
function padNumber(spec: PrintSpec, sign: string, digits: string): string {
  const fill = Math.max(0, spec.width - sign.length - digits.length);
  if (spec.left) return sign + digits + ' '.repeat(fill);
  return spec.zero ? sign + '0'.repeat(fill) + digits : ' '.repeat(fill) + sign + digits;
}

/** A string or character to the width with spaces (never zeros), on the right when left-justified. */
function padText(spec: PrintSpec, text: string): string {
  const fill = ' '.repeat(Math.max(0, spec.width - text.length));
  return spec.left ? text + fill : fill + text;
}
