// A tcptop-like traffic count by destination subnet: every send and receive looks its remote
// address up in a BPF_MAP_TYPE_LPM_TRIE of routes (longest prefix wins) and adds its bytes to the
// matched route's class in a per-CPU array, as a tcptop that groups by network would.

import { defineProgram, type ProbeContext } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { BPF_F_NO_PREALLOC } from '../../maps/uapi.js';

/** A route's class: its index in the per-CPU traffic array; UNROUTED counts addresses no route matches. */
export const MAX_CLASSES = 16;
export const UNROUTED = MAX_CLASSES - 1;
export const Traffic = struct({ sent: u64, recv: u64, packets: u64 });

const routes = declareMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 64, flags: BPF_F_NO_PREALLOC, name: 'routes' });
const traffic = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Traffic.size, maxEntries: MAX_CLASSES, name: 'traffic', value: Traffic });

/**
 * The remote address of an event: a hash of the event's number and CPU picks one of a few address
 * ranges (so routes nest and overlap) and the host within it. Four bytes, network order.
 */
export function remoteAddress(index: number, cpu: number, out: Uint8Array, at: number): void {
  const h = Math.imul((index + 1) ^ Math.imul(cpu + 1, 0x9e3779b9), 0x85ebca6b) >>> 0;
  const h2 = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  switch (h % 8) {
    case 0: case 1: out[at] = 10; out[at + 1] = 20; out[at + 2] = 30; break; // the database subnet
    case 2: out[at] = 10; out[at + 1] = 20; out[at + 2] = h2 & 0xff; break; // its rack
    case 3: out[at] = 10; out[at + 1] = (h2 >>> 8) & 0xff; out[at + 2] = h2 & 0xff; break; // the data centre
    case 4: out[at] = 192; out[at + 1] = 168; out[at + 2] = (h2 >>> 8) & 1 ? 100 : h2 & 0xff; break; // the office, its phones
    case 5: out[at] = 172; out[at + 1] = 16 + ((h2 >>> 8) & 15); out[at + 2] = h2 & 0xff; break; // the VPN
    default: out[at] = 1 + ((h2 >>> 16) % 223); out[at + 1] = (h2 >>> 8) & 0xff; out[at + 2] = h2 & 0xff; // the internet
  }
  out[at + 3] = 1 + ((h2 >>> 24) % 254);
}

/** The bytes of an event: a size from a packet-ish spread. */
export function eventBytes(index: number): number {
  return 64 + ((index * 37) % 1400);
}

/** One lookup key per CPU thread: prefixlen 32, then the address. */
const key = new Uint8Array(8);
key[0] = 32;

function account(ctx: ProbeContext, recv: boolean): number {
  remoteAddress(ctx.index, ctx.cpu, key, 4);
  const route = bpf_map_lookup_elem(routes, key);
  const cls = route === null ? UNROUTED : route.getU32(0);
  const t = bpf_map_lookup_elem(traffic, cls);
  if (t === null) return 0;
  // Replies are larger than requests here: another spread for receives.
  const n = recv ? eventBytes(ctx.index * 7 + 3) * 2 : eventBytes(ctx.index);
  if (recv) t.recv += n;
  else t.sent += n;
  t.packets += 1;
  return 0;
}

export default defineProgram({
  name: 'tcptop',
  maps: { routes, traffic },
  handlers: {
    'kprobe/tcp_sendmsg'(ctx) {
      return account(ctx, false);
    },
    'kprobe/tcp_cleanup_rbuf'(ctx) {
      return account(ctx, true);
    },
  },
});
