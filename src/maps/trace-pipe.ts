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
