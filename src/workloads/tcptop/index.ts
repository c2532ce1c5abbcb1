// The tcptop workload: user space fills an LPM trie with nested routes, the CPUs count traffic by
// the longest matching route, user space prints the table; then a route is withdrawn and the same
// traffic falls back to the next shorter prefix.

import { siblingModule } from '../../cpu/module-url.js';
import type { RunResult } from '../../cpu/runtime.js';
import type { BpfMap } from '../../maps/syscall.js';
import { withProgram, type Workload, type WorkloadOptions, type WorkloadResult } from '../workload.js';
import { MAX_CLASSES, Traffic, UNROUTED } from './program.js';

/** The routes: prefix, name. A class is a route's index here. */
export const ROUTES: readonly (readonly [string, number, string])[] = [
  ['10.0.0.0', 8, 'datacenter'],
  ['10.20.0.0', 16, 'rack-20'],
  ['10.20.30.0', 24, 'db-cluster'],
  ['192.168.0.0', 16, 'office'],
  ['192.168.100.0', 24, 'office-voip'],
  ['172.16.0.0', 12, 'vpn'],
  ['0.0.0.0', 0, 'internet'],
];

/** The route withdrawn between the two runs. */
export const WITHDRAWN = 2;

export function routeKey(addr: string, len: number): Uint8Array {
  return new Uint8Array([len, 0, 0, 0, ...addr.split('.').map(Number)]);
}

export interface ClassTraffic {
  route: string;
  name: string;
  sent: number;
  recv: number;
  packets: number;
}

/** Every class's traffic summed over the CPUs. */
export function readTraffic(map: BpfMap): ClassTraffic[] {
  const out: ClassTraffic[] = [];
  for (let c = 0; c < MAX_CLASSES; c++) {
    const sum = { sent: 0, recv: 0, packets: 0 };
    for (const v of map.lookupPerCpu(c)) {
      const d = Traffic.decode(v) as { sent: number; recv: number; packets: number };
      sum.sent += d.sent;
      sum.recv += d.recv;
      sum.packets += d.packets;
    }
    if (sum.packets === 0) continue;
    const r = ROUTES[c];
    out.push({ route: c === UNROUTED ? '-' : `${r![0]}/${r![1]}`, name: c === UNROUTED ? '(no route)' : r![2], ...sum });
  }
  return out.sort((a, b) => b.sent + b.recv - (a.sent + a.recv));
}

export function formatTraffic(rows: readonly ClassTraffic[]): string {
  const lines = [`${'ROUTE'.padEnd(17)} ${'NAME'.padEnd(12)} ${'TX_KB'.padStart(9)} ${'RX_KB'.padStart(9)} ${'PACKETS'.padStart(9)}`];
  for (const r of rows) {
    lines.push(`${r.route.padEnd(17)} ${r.name.padEnd(12)} ${String(Math.round(r.sent / 1024)).padStart(9)} ${String(Math.round(r.recv / 1024)).padStart(9)} ${String(r.packets).padStart(9)}`);
  }
  return lines.join('\n');
}

function clear(map: BpfMap, cpus: number): void {
  const zero = new Uint8Array(Traffic.size * cpus);
  for (let c = 0; c < MAX_CLASSES; c++) map.update(c, zero);
}

export const tcptop: Workload = {
  name: 'tcptop',
  title: 'tcptop-like traffic by destination route: longest-prefix match in an LPM trie',
  explain: `Each send (and each receive, as many again) looks its remote IPv4 address up in an LPM_TRIE of ${ROUTES.length} nested routes ` +
    'and adds its bytes to the class of the longest prefix that matches: a 10.20.30.x address counts for db-cluster alone, not ' +
    'for rack-20 or datacenter, and 0.0.0.0/0 catches the rest. The programs only read the trie, lock-free; user space writes it. ' +
    `Between the two runs user space withdraws ${ROUTES[WITHDRAWN]![0]}/${ROUTES[WITHDRAWN]![1]}: the same traffic then falls back to the next ` +
    'shorter prefix that matches, rack-20. A get_next_key walk lists the routes most specific first (post-order).',
  defaultEvents: 1_000_000,
  probe: 'kprobe/tcp_sendmsg',
  async run(options: WorkloadOptions): Promise<WorkloadResult> {
    const rt = options.runtime;
    return withProgram(rt, siblingModule(import.meta.url, 'program'), async (prog) => {
      const routes = prog.maps.routes!;
      const traffic = prog.maps.traffic!;
      ROUTES.forEach(([addr, len], cls) => routes.update(routeKey(addr, len), new Uint8Array([cls, 0, 0, 0])));
      const order = [...routes.keys()].map((k) => `${[...k.subarray(4)].join('.')}/${k[0]}`);
      const source = { pidBase: 2000, pids: 32, comm: 'curl' };
      const half = Math.floor(options.events / 2);
      const phase = async (): Promise<{ run: RunResult; rows: ClassTraffic[] }> => {
        clear(traffic, rt.cpus);
        const send = await rt.run({ probe: 'kprobe/tcp_sendmsg', events: options.events - half, source });
        const recv = await rt.run({ probe: 'kprobe/tcp_cleanup_rbuf', events: half, source });
        return { run: { ...send, events: send.events + recv.events, requested: send.requested + recv.requested }, rows: readTraffic(traffic) };
      };
      const before = await phase();
      const [addr, len] = ROUTES[WITHDRAWN]!;
      routes.delete(routeKey(addr, len));
      const after = await phase();
      const text = [
        `routes, in the trie's get_next_key order (most specific first): ${order.join(', ')}`,
        '', formatTraffic(before.rows), '', `after withdrawing ${addr}/${len}:`, formatTraffic(after.rows),
      ].join('\n');
      return {
        run: after.run,
        text,
        data: { routes: order, before: before.rows, after: after.rows },
        ...(options.dump ? { maps: { routes: routes.dump() } } : {}),
      };
    });
  },
};
