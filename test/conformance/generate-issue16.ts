// Steps of the LPM trie, prog array and tail call, perf event array and map-of-maps scenarios
// (generate.ts writes them). Outcomes come from the kernel (percpu-maps conformance --record),
// never from here.

type Json = Record<string, unknown>;

const create = (map: Json, note?: string): Json => ({ op: 'create', map, ...(note ? { note } : {}) });
const step = (op: string, fields: Json = {}, note?: string): Json => ({ op, ...fields, ...(note ? { note } : {}) });
const object = (name: string, what: Json, note?: string): Json => ({ op: 'object', name, ...what, ...(note ? { note } : {}) });
const FLAG_BITS = Array.from({ length: 32 }, (_, b) => 2 ** b);
const NP = 'BPF_F_NO_PREALLOC';

function hex(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}
function u32(x: number): string {
  return hex([x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
}
function u64(x: number): string {
  return u32(x >>> 0) + u32(Math.floor(x / 2 ** 32));
}
/** An LPM key: the prefix length (u32, little-endian) and the data bytes. */
function lpmKey(prefixlen: number, data: number[]): string {
  return u32(prefixlen) + hex(data);
}
const ip = (s: string): number[] => s.split('.').map(Number);

/** A small deterministic PRNG (xorshift32), so generated prefixes are the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

// ---- LPM_TRIE ------------------------------------------------------------------------------------

function lpmCreate(): Json[] {
  const m = (over: Json): Json => ({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 16, flags: NP, ...over });
  const s: Json[] = [create(m({}), 'an IPv4 trie'), step('info')];
  s.push(create(m({ flags: 0 }), 'BPF_F_NO_PREALLOC is required'));
  for (const keySize of [0, 1, 4, 5, 6, 8, 20, 36, 260, 261, 1000]) s.push(create(m({ keySize }), 'key: a u32 prefix length and 1 to 256 data bytes'));
  for (const valueSize of [0, 1, 3, 4096, 4194024, 4194025, 4194304, 0x80000000, 0xffffffff]) s.push(create(m({ valueSize, maxEntries: 1 }), 'value: 1 to KMALLOC_MAX_SIZE - 256 - sizeof(struct lpm_trie_node)'));
  for (const maxEntries of [0, 1, 2, 1 << 20, 0xffffffff]) s.push(create(m({ maxEntries }), 'no prealloc: any max_entries but 0'));
  for (const flags of FLAG_BITS) s.push(create(m({ flags: flags === 1 ? 1 : flags + 1 }), 'BPF_F_NO_PREALLOC and each other flag bit'));
  for (const flags of ['BPF_F_NO_PREALLOC|BPF_F_RDONLY|BPF_F_WRONLY', 'BPF_F_NO_PREALLOC|BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG',
    'BPF_F_NO_PREALLOC|BPF_F_RDONLY|BPF_F_RDONLY_PROG', 'BPF_F_NO_PREALLOC|BPF_F_ZERO_SEED', 'BPF_F_NO_PREALLOC|BPF_F_NUMA_NODE|BPF_F_WRONLY_PROG']) {
    s.push(create(m({ flags })));
  }
  for (const name of ['', 'routes', 'abcdefghijklmno', 'abcdefghijklmnop', 'a-b']) s.push(create(m({ name })));
  s.push(create(m({ mapExtra: 1 }), 'map_extra belongs to bloom filters'));
  s.push(create(m({ keySize: 4, valueSize: 0 }), 'order: two bad sizes'));
  s.push(create(m({ keySize: 4, name: 'a-b' }), 'order: the size before the name'));
  s.push(create(m({ flags: 0, mapExtra: 1 }), 'order: map_extra before the type\'s checks'));
  s.push(create(m({ valueSize: 8, lockOffset: 0 }), 'a bpf_spin_lock in an LPM value'));
  s.push(create(m({ flags: 'BPF_F_NO_PREALLOC|BPF_F_RDONLY' })), step('info'));
  s.push(step('update', { key: lpmKey(8, ip('10.0.0.0')), value: u32(1) }, 'read-only from user space'));
  s.push(create(m({ flags: 'BPF_F_NO_PREALLOC|BPF_F_WRONLY' })), step('update', { key: lpmKey(8, ip('10.0.0.0')), value: u32(1) }));
  s.push(step('lookup', { key: lpmKey(32, ip('10.1.1.1')) }, 'write-only from user space'), step('getNextKey', { key: null }));
  return s;
}

/** The kernel's own example, then every operation and flag on it. */
function lpmOps(): Json[] {
  const k = (len: number, a: string): string => lpmKey(len, ip(a));
  const s: Json[] = [create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 6, flags: NP, name: 'routes' })];
  s.push(step('lookup', { key: k(32, '192.168.1.1') }, 'empty'), step('getNextKey', { key: null }, 'empty'), step('delete', { key: k(16, '192.168.0.0') }));
  s.push(step('update', { key: k(16, '192.168.0.0'), value: u32(1) }, '192.168.0.0/16 at the root'));
  s.push(step('update', { key: k(24, '192.168.0.0'), value: u32(2) }, 'a more specific child'));
  s.push(step('update', { key: k(24, '192.168.128.0'), value: u32(3) }, 'the other child'));
  s.push(step('update', { key: k(24, '192.168.1.0'), value: u32(5) }, 'needs an intermediate 192.168.0.0/23'));
  s.push(step('walk', {}, 'post-order: /24s before the /16'));
  for (const [len, a] of [[32, '192.168.1.77'], [32, '192.168.0.9'], [32, '192.168.2.7'], [32, '192.168.128.255'], [32, '192.168.200.1'], [32, '10.0.0.1'],
    [23, '192.168.0.0'], [24, '192.168.1.0'], [17, '192.168.1.7'], [16, '192.168.1.7'], [15, '192.168.0.0'], [0, '0.0.0.0'], [33, '192.168.1.1'],
    [0xffffffff, '192.168.1.1']] as const) {
    s.push(step('lookup', { key: k(len, a) }));
  }
  for (const cpu of [0, 1]) s.push(step('progLookup', { key: k(32, '192.168.1.9'), cpu }, 'a program\'s lookup'), step('progLookup', { key: k(32, '10.9.9.9'), cpu }));
  // Update flags.
  s.push(step('update', { key: k(24, '192.168.1.0'), value: u32(6), flags: 'BPF_NOEXIST' }, 'exists'));
  s.push(step('update', { key: k(24, '192.168.1.0'), value: u32(7), flags: 'BPF_EXIST' }, 'replaces'));
  s.push(step('update', { key: k(24, '192.168.2.0'), value: u32(8), flags: 'BPF_EXIST' }, 'missing'));
  s.push(step('update', { key: k(23, '192.168.0.0'), value: u32(9), flags: 'BPF_EXIST' }, 'the intermediate node is no element'));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(10), flags: 'BPF_F_LOCK' }, 'no lock in the value'));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(10), flags: 3 }));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(10), flags: 8 }));
  s.push(step('update', { key: k(33, '10.0.0.0'), value: u32(10) }, 'prefixlen past the data'));
  s.push(step('update', { key: k(33, '10.0.0.0'), value: u32(10), flags: 5 }, 'order: flags first'));
  s.push(step('lookup', { key: k(32, '192.168.1.1') }), step('walk'));
  s.push(step('update', { key: k(23, '192.168.0.0'), value: u32(11), flags: 'BPF_NOEXIST' }, 'the intermediate node becomes real'));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(12) }, 'the trie holds 5 of 6'));
  s.push(step('update', { key: k(0, '0.0.0.0'), value: u32(13) }, 'a default route: 6 of 6'));
  s.push(step('update', { key: k(8, '11.0.0.0'), value: u32(14) }, 'full'));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(15) }, 'full, but a replacement'));
  s.push(step('update', { key: k(8, '10.0.0.0'), value: u32(16), flags: 'BPF_EXIST' }, 'full, replacement with BPF_EXIST'));
  s.push(step('update', { key: k(8, '11.0.0.0'), value: u32(14), flags: 'BPF_EXIST' }, 'full and missing with BPF_EXIST'));
  s.push(step('walk'));
  for (const a of ['10.1.1.1', '11.1.1.1', '192.168.1.1', '192.168.64.1']) s.push(step('lookup', { key: k(32, a) }));
  // Deletes.
  s.push(step('delete', { key: k(32, '192.168.1.1') }, 'delete takes the exact prefix'));
  s.push(step('delete', { key: k(33, '192.168.1.1') }), step('delete', { key: k(22, '192.168.0.0') }));
  s.push(step('delete', { key: k(16, '192.168.0.0') }, 'two children: becomes intermediate'), step('walk'));
  s.push(step('lookup', { key: k(32, '192.168.64.1') }), step('lookup', { key: k(32, '192.168.2.1') }));
  s.push(step('delete', { key: k(24, '192.168.128.0') }, 'its intermediate parent goes too'), step('walk'));
  s.push(step('delete', { key: k(0, '0.0.0.0') }), step('walk'), step('lookup', { key: k(32, '172.16.0.1') }));
  s.push(step('update', { key: k(8, '11.0.0.0'), value: u32(14) }, 'room again'));
  // get_next_key from keys that are and are not there.
  for (const [len, a] of [[24, '192.168.0.0'], [24, '192.168.1.0'], [23, '192.168.0.0'], [8, '10.0.0.0'], [8, '11.0.0.0'], [24, '192.168.9.0'], [40, '192.168.1.0'], [16, '192.168.0.0']] as const) {
    s.push(step('getNextKey', { key: k(len, a) }));
  }
  s.push(step('lookupAndDelete', { key: k(8, '10.0.0.0') }, 'no lookup-and-delete for tries'));
  s.push(step('info'), step('dump'), step('freeze'), step('update', { key: k(8, '12.0.0.0'), value: u32(1) }), step('delete', { key: k(8, '10.0.0.0') }));
  s.push(step('lookup', { key: k(32, '10.2.3.4') }), step('freeze'), step('info'));
  return s;
}

/** Odd data sizes: 1, 3, 16 (IPv6) and 256 bytes; bits past the prefix. */
function lpmSizes(): Json[] {
  const s: Json[] = [];
  s.push(create({ type: 'lpm_trie', keySize: 5, valueSize: 1, maxEntries: 8, flags: NP }, 'one data byte: prefixes 0..8'));
  for (const [len, b, v] of [[0, 0, 1], [1, 0x80, 2], [2, 0x40, 3], [4, 0xf0, 4], [8, 0xff, 5], [8, 0x00, 6], [3, 0xe0, 7]] as const) {
    s.push(step('update', { key: lpmKey(len, [b]), value: hex([v]) }));
  }
  s.push(step('update', { key: lpmKey(9, [0]), value: '09' }), step('walk'));
  for (const b of [0x00, 0x01, 0x7f, 0x80, 0xbf, 0xc0, 0xe1, 0xf7, 0xfe, 0xff]) s.push(step('lookup', { key: lpmKey(8, [b]) }));
  s.push(step('lookup', { key: lpmKey(1, [0xff]) }), step('lookup', { key: lpmKey(4, [0xff]) }));
  s.push(step('update', { key: lpmKey(4, [0xff]), value: '0a' }, 'bits past the prefix are kept in the key'), step('walk'), step('dump'));

  s.push(create({ type: 'lpm_trie', keySize: 7, valueSize: 3, maxEntries: 8, flags: NP }, 'three data bytes'));
  for (const [len, d] of [[12, [0xab, 0xc0, 0]], [20, [0xab, 0xcd, 0xe0]], [24, [0xab, 0xcd, 0xef]], [13, [0xab, 0xc8, 0]], [17, [0xab, 0xcd, 0x80]]] as const) {
    s.push(step('update', { key: lpmKey(len, [...d]), value: hex([len, len, len]) }));
  }
  s.push(step('walk'));
  for (const d of [[0xab, 0xcd, 0xef], [0xab, 0xcd, 0xee], [0xab, 0xc9, 0x00], [0xab, 0xcd, 0x80], [0xab, 0xcd, 0x7f], [0xab, 0x00, 0x00]]) s.push(step('lookup', { key: lpmKey(24, d) }));

  const v6 = (words: number[]): number[] => words.flatMap((w) => [w >> 8, w & 0xff]);
  s.push(create({ type: 'lpm_trie', keySize: 20, valueSize: 8, maxEntries: 8, flags: NP }, 'IPv6'));
  const nets: [number, number[]][] = [[32, [0x2001, 0x0db8, 0, 0, 0, 0, 0, 0]], [48, [0x2001, 0x0db8, 0x0001, 0, 0, 0, 0, 0]], [64, [0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 0]],
    [128, [0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 1]], [10, [0xfe80, 0, 0, 0, 0, 0, 0, 0]], [0, [0, 0, 0, 0, 0, 0, 0, 0]]];
  for (const [len, w] of nets) s.push(step('update', { key: lpmKey(len, v6(w)), value: u64(len) }));
  s.push(step('walk'));
  for (const w of [[0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 1], [0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 2], [0x2001, 0x0db8, 0x0001, 0x0003, 0, 0, 0, 1],
    [0x2001, 0x0db8, 0x0002, 0, 0, 0, 0, 0], [0x2001, 0x0db9, 0, 0, 0, 0, 0, 0], [0xfe80, 0, 0, 0, 0, 0, 0, 7], [0xfebf, 0xffff, 0, 0, 0, 0, 0, 0], [0xfec0, 0, 0, 0, 0, 0, 0, 0]]) {
    s.push(step('lookup', { key: lpmKey(128, v6(w)) }));
  }
  s.push(step('lookup', { key: lpmKey(129, v6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0])) }), step('progLookup', { key: lpmKey(128, v6([0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 9])), cpu: 1 }));
  s.push(step('delete', { key: lpmKey(64, v6([0x2001, 0x0db8, 0x0001, 0x0002, 0, 0, 0, 0])) }), step('walk'), step('dump'));

  s.push(create({ type: 'lpm_trie', keySize: 260, valueSize: 4, maxEntries: 4, flags: NP }, 'the largest key: 256 data bytes, prefixes to 2048 bits'));
  const big = (last: number): number[] => [...Array.from({ length: 255 }, (_, i) => i), last];
  s.push(step('update', { key: lpmKey(2048, big(0xff)), value: u32(1) }), step('update', { key: lpmKey(2047, big(0xfe)), value: u32(2) }));
  s.push(step('update', { key: lpmKey(2049, big(0xff)), value: u32(3) }), step('update', { key: lpmKey(8, big(0)), value: u32(4) }));
  s.push(step('lookup', { key: lpmKey(2048, big(0xff)) }), step('lookup', { key: lpmKey(2048, big(0xfe)) }), step('lookup', { key: lpmKey(2048, big(0x7f)) }), step('walk'));
  return s;
}

/** Many random prefixes: the trie's shape, walks and lookups after inserts and deletes. */
function lpmRandom(): Json[] {
  const r = rng(16);
  const s: Json[] = [create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 64, flags: NP, name: 'random' })];
  const prefixes: string[] = [];
  for (let i = 0; i < 60; i++) {
    const len = [8, 12, 16, 20, 24, 28, 32][r() % 7]!;
    // Addresses in two /8s so prefixes nest and share bits.
    const a = [r() % 2 === 0 ? 10 : 11, r() % 4, r() % 256, r() % 256];
    const key = lpmKey(len, a);
    prefixes.push(key);
    s.push(step('update', { key, value: u32(i) }));
  }
  s.push(step('walk'));
  for (let i = 0; i < 40; i++) s.push(step('lookup', { key: lpmKey(32, [r() % 2 === 0 ? 10 : 11, r() % 4, r() % 256, r() % 256]) }));
  for (let i = 0; i < 60; i += 3) s.push(step('delete', { key: prefixes[i]! }));
  s.push(step('walk'));
  for (let i = 0; i < 30; i++) s.push(step('lookup', { key: lpmKey(32, [r() % 2 === 0 ? 10 : 11, r() % 4, r() % 256, r() % 256]) }));
  for (let i = 0; i < 60; i += 7) s.push(step('update', { key: prefixes[i]!, value: u32(100 + i), flags: 'BPF_NOEXIST' }));
  s.push(step('walk'), step('lookupBatch', { inBatch: null, count: 64 }));
  return s;
}

function lpmBatch(): Json[] {
  const k = (len: number, a: string): string => lpmKey(len, ip(a));
  const s: Json[] = [create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 8, flags: NP })];
  const keys = [k(8, '10.0.0.0'), k(16, '10.1.0.0'), k(12, '172.16.0.0'), k(24, '10.1.2.0'), k(16, '192.168.0.0')];
  s.push(step('lookupBatch', { inBatch: null, count: 4 }, 'empty'));
  s.push(step('updateBatch', { keys, values: keys.map((_, i) => u32(i + 1)) }));
  s.push(step('updateBatch', { keys: [k(8, '11.0.0.0'), k(8, '10.0.0.0')], values: [u32(9), u32(9)], flags: 'BPF_F_LOCK' }, 'no lock'));
  s.push(step('updateBatch', { keys: [k(8, '11.0.0.0'), k(40, '10.0.0.0'), k(8, '12.0.0.0')], values: [u32(9), u32(9), u32(9)] }, 'stops at the bad prefixlen'));
  s.push(step('lookupBatch', { inBatch: null, count: 3 }), step('lookupBatch', { inBatch: k(24, '10.1.2.0'), count: 3 }, 'the cursor is a key'));
  s.push(step('lookupBatch', { inBatch: k(8, '99.0.0.0'), count: 10 }, 'a cursor that is no key restarts'));
  s.push(step('lookupBatch', { inBatch: null, count: 0 }), step('lookupBatch', { inBatch: null, count: 10, flags: 'BPF_F_LOCK' }));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 4 }, 'not for tries'));
  s.push(step('deleteBatch', { keys: [k(16, '10.1.0.0'), k(8, '10.0.0.0'), k(8, '10.0.0.0'), k(12, '172.16.0.0')] }, 'stops at the missing key'));
  s.push(step('walk'), step('deleteBatch', { keys: [k(24, '10.1.2.0')], count: 0 }), step('walk'));
  return s;
}

// ---- PROG_ARRAY and tail calls -------------------------------------------------------------------

function progArrayCreate(): Json[] {
  const m = (over: Json): Json => ({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, ...over });
  const s: Json[] = [create(m({})), step('info')];
  for (const [keySize, valueSize] of [[0, 4], [8, 4], [4, 0], [4, 8], [4, 3]]) s.push(create(m({ keySize, valueSize })));
  for (const maxEntries of [0, 1, 1 << 16, 0xffffffff]) s.push(create(m({ maxEntries })));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  s.push(create(m({ flags: 'BPF_F_RDONLY|BPF_F_WRONLY' })), create(m({ valueSize: 8, flags: 'BPF_F_RDONLY_PROG' }), 'order: value size first'));
  s.push(create(m({ name: 'jmp_table' })), create(m({ name: 'a-b' })), create(m({ mapExtra: 1 })));
  return s;
}

function progArrayOps(): Json[] {
  const s: Json[] = [];
  s.push(object('p1', { prog: { type: 'raw_tracepoint', ret: 1 } }), object('p2', { prog: { type: 'raw_tracepoint', ret: 2 } }));
  s.push(object('kp', { prog: { type: 'kprobe', ret: 3 } }), object('xdp', { prog: { type: 'xdp', ret: 4 } }));
  s.push(object('arr', { map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } }));
  s.push(object('ev', { perfEvent: { cpu: 0, pages: 1 } }));
  s.push(create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'jmp_table' }));
  s.push(step('lookup', { key: 0 }, 'empty'), step('lookup', { key: 9 }), step('walk', {}, 'every index, empty or not'));
  s.push(step('update', { key: 0, value: '@arr' }, 'a map is no program'), step('update', { key: 0, value: '@ev' }, 'nor a perf event'));
  s.push(step('update', { key: 0, value: '@#badfd' }, 'no such fd'));
  s.push(step('update', { key: 0, value: '@p1', flags: 'BPF_NOEXIST' }, 'only BPF_ANY'), step('update', { key: 0, value: '@p1', flags: 'BPF_EXIST' }));
  s.push(step('update', { key: 0, value: '@p1', flags: 'BPF_F_LOCK' }), step('update', { key: 4, value: '@p1' }, 'out of range'));
  s.push(step('update', { key: 4, value: '@#badfd', flags: 1 }, 'order: flags, then index, then the fd'), step('update', { key: 4, value: '@#badfd' }));
  s.push(step('update', { key: 0, value: '@p1' }, 'the first program makes the array raw_tracepoint\'s'));
  s.push(step('update', { key: 1, value: '@kp' }, 'another type'), step('update', { key: 1, value: '@xdp' }));
  s.push(step('update', { key: 1, value: '@p2' }), step('update', { key: 3, value: '@p1' }, 'one program in two slots'));
  s.push(step('lookup', { key: 0 }, 'the program\'s id'), step('lookup', { key: 1 }), step('lookup', { key: 2 }), step('lookup', { key: 3 }));
  s.push(step('walk'), step('dump', {}, 'empty slots are not printed'), step('info'));
  s.push(step('update', { key: 0, value: '@p2' }, 'replace'), step('lookup', { key: 0 }));
  s.push(step('delete', { key: 3 }), step('delete', { key: 3 }, 'already empty'), step('delete', { key: 4 }), step('delete', { key: 0xffffffff }));
  s.push(step('lookupAndDelete', { key: 0 }), step('getNextKey', { key: 2 }), step('getNextKey', { key: 3 }), step('getNextKey', { key: 7 }));
  s.push(step('lookupBatch', { inBatch: null, count: 4 }, 'no batches'), step('updateBatch', { keys: [2], values: ['@p1'] }), step('deleteBatch', { keys: [0] }));
  s.push(step('progLookup', { key: 0 }, 'programs cannot look it up'));
  s.push(step('freeze'), step('update', { key: 2, value: '@p1' }, 'frozen'), step('delete', { key: 0 }), step('lookup', { key: 0 }), step('info'));
  s.push(create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 }, 'a new array takes any type first'));
  s.push(step('update', { key: 0, value: '@xdp' }), step('update', { key: 1, value: '@p1' }), step('update', { key: 1, value: '@xdp' }), step('dump'));
  return s;
}

function tailCalls(): Json[] {
  const s: Json[] = [];
  s.push(object('cnt', { map: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 } }, 'counts the programs that ran'));
  s.push(create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 8, name: 'jmp' }));
  const reset = step('update', { on: 'cnt', key: 0, value: u64(0) });
  const count = step('lookup', { on: 'cnt', key: 0 });
  s.push(object('self', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 0 }], ret: 77 } }, 'counts, then tail-calls slot 0'));
  s.push(step('progRun', { prog: 'self' }, 'slot 0 empty: falls through at once'), count);
  s.push(step('update', { key: 0, value: '@self' }), reset, step('progRun', { prog: 'self', cpu: 0 }, 'itself: 1 + 33 tail calls'), count);
  s.push(reset, step('progRun', { prog: 'self', cpu: 1 }, 'each run counts afresh'), count);
  s.push(object('ret7', { prog: { type: 'raw_tracepoint', count: 'cnt', ret: 7 } }));
  s.push(object('ret8', { prog: { type: 'raw_tracepoint', count: 'cnt', ret: 8 } }));
  s.push(step('update', { key: 2, value: '@ret7' }), step('update', { key: 3, value: '@ret8' }));
  s.push(object('chain', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 1 }, { map: '-', index: 9 }, { map: '-', index: -1 }, { map: '-', index: 2 }], ret: 99 } },
    'empty slot, out of range, out of range (u32), then slot 2'));
  s.push(reset, step('progRun', { prog: 'chain' }), count);
  s.push(step('delete', { key: 2 }), reset, step('progRun', { prog: 'chain' }, 'slot 2 emptied: falls through'), count);
  s.push(step('update', { key: 2, value: '@ret8' }), reset, step('progRun', { prog: 'chain' }, 'slot 2 replaced'), count);
  const empties = Array.from({ length: 35 }, () => ({ map: '-', index: 5 }));
  s.push(object('empties', { prog: { type: 'raw_tracepoint', tailCalls: [...empties, { map: '-', index: 3 }], ret: 50 } }, '35 tail calls to an empty slot, then slot 3'));
  s.push(reset, step('progRun', { prog: 'empties' }, 'a call that falls through does not count'), count);
  // A chain of distinct programs: a -> b -> c.
  s.push(object('c', { prog: { type: 'raw_tracepoint', count: 'cnt', ret: 3 } }));
  s.push(object('b', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 6 }], ret: 2 } }));
  s.push(object('a', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 5 }], ret: 1 } }));
  s.push(step('update', { key: 5, value: '@b' }), step('update', { key: 6, value: '@c' }));
  s.push(reset, step('progRun', { prog: 'a' }), count, step('delete', { key: 6 }), reset, step('progRun', { prog: 'a' }, 'b falls through'), count);
  // Two programs calling each other until the limit.
  s.push(object('ping', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 7 }], ret: 10 } }));
  s.push(object('pong', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: '-', index: 4 }], ret: 11 } }));
  s.push(step('update', { key: 4, value: '@ping' }), step('update', { key: 7, value: '@pong' }));
  s.push(reset, step('progRun', { prog: 'ping' }, '34 programs: ping, pong, ... the 34th falls through'), count);
  // Another prog array.
  s.push(object('jmp2', { map: { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 } }));
  s.push(object('via2', { prog: { type: 'raw_tracepoint', count: 'cnt', tailCalls: [{ map: 'jmp2', index: 1 }, { map: '-', index: 3 }], ret: 20 } }));
  s.push(reset, step('progRun', { prog: 'via2' }, 'jmp2 empty, then jmp slot 3'), count);
  s.push(step('update', { on: 'jmp2', key: 1, value: '@c' }), reset, step('progRun', { prog: 'via2' }), count);
  s.push(object('kp', { prog: { type: 'kprobe', tailCalls: [{ map: '-', index: 0 }], ret: 0 } }, 'a kprobe program may not tail-call into a raw_tracepoint array'));
  s.push(object('kp2', { prog: { type: 'kprobe', ret: 0 } }), step('update', { key: 1, value: '@kp2' }, 'nor may one be placed in it'));
  s.push(step('walk'), step('dump'));
  return s;
}

// ---- PERF_EVENT_ARRAY ------------------------------------------------------------------------------

function perfCreate(): Json[] {
  const m = (over: Json): Json => ({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2, ...over });
  const s: Json[] = [create(m({})), step('info')];
  for (const [keySize, valueSize] of [[0, 4], [8, 4], [4, 0], [4, 8]]) s.push(create(m({ keySize, valueSize })));
  for (const maxEntries of [0, 1, 64, 0xffffffff]) s.push(create(m({ maxEntries })));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  s.push(create(m({ flags: 'BPF_F_PRESERVE_ELEMS|BPF_F_RDONLY' })), create(m({ name: 'events' })), create(m({ mapExtra: 2 })));
  return s;
}

function perfOps(): Json[] {
  const s: Json[] = [];
  s.push(object('ev0', { perfEvent: { cpu: 0, pages: 1 } }), object('ev1', { perfEvent: { cpu: 1, pages: 1 } }));
  s.push(object('dummy', { perfEvent: { cpu: 0, pages: 1, config: 'dummy' } }, 'a software event that is not BPF output'));
  s.push(object('arr', { map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } }), object('p', { prog: { type: 'raw_tracepoint', ret: 0 } }));
  s.push(create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'events' }));
  s.push(step('update', { key: 0, value: '@arr' }, 'a map is no perf event'), step('update', { key: 0, value: '@p' }), step('update', { key: 0, value: '@#badfd' }));
  s.push(step('update', { key: 0, value: '@ev0', flags: 'BPF_NOEXIST' }), step('update', { key: 4, value: '@ev0' }));
  s.push(step('update', { key: 0, value: '@ev0' }), step('update', { key: 1, value: '@ev1' }), step('update', { key: 2, value: '@dummy' }));
  s.push(step('update', { key: 3, value: '@ev0' }, 'an event in two slots'));
  s.push(step('lookup', { key: 0 }, 'no value to read back'), step('lookup', { key: 9 }), step('walk'), step('dump', {}, 'each slot printed with its error'));
  s.push(step('delete', { key: 3 }), step('delete', { key: 3 }), step('delete', { key: 8 }), step('lookupAndDelete', { key: 0 }));
  s.push(step('lookupBatch', { inBatch: null, count: 4 }), step('updateBatch', { keys: [3], values: ['@ev1'] }), step('progLookup', { key: 0 }));
  s.push(step('info'), step('freeze'), step('update', { key: 3, value: '@ev1' }), step('delete', { key: 2 }), step('dump'));
  return s;
}

/** bpf_perf_event_output into per-CPU rings: records, errors, wakeups, a full ring and lost records. */
function perfOutput(): Json[] {
  const s: Json[] = [];
  const out = (cpu: number, flags: number | string, data: string, extra: Json = {}, note?: string): Json => step('perfOutput', { cpu, flags, data, ...extra }, note);
  const d5 = '1122334455';
  const d16 = '112233445566778899aabbccddeeff00';
  s.push(object('ev0', { perfEvent: { cpu: 0, pages: 1, wakeupEvents: 3 } }, 'CPU 0: a wakeup every 3 samples'));
  s.push(object('ev1', { perfEvent: { cpu: 1, pages: 1 } }, 'CPU 1: a wakeup every sample'));
  s.push(object('dummy', { perfEvent: { cpu: 0, pages: 1, config: 'dummy' } }));
  s.push(create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 3, name: 'events' }));
  s.push(out(0, 'BPF_F_CURRENT_CPU', d5, {}, 'slot 0 is empty'));
  s.push(step('update', { key: 0, value: '@ev0' }), step('update', { key: 1, value: '@ev1' }));
  s.push(out(0, 'BPF_F_CURRENT_CPU', d5, {}, '5 bytes: a 24-byte record'), step('perfPoll', { on: 'ev0' }, 'one sample of 3'));
  s.push(out(0, 'BPF_F_CURRENT_CPU', d16), step('perfPoll', { on: 'ev0' }), out(0, 0, d16, {}, 'index 0 named'), step('perfPoll', { on: 'ev0' }, 'the third sample woke it'));
  s.push(step('perfPoll', { on: 'ev0' }, 'poll took the wakeup'), step('perfRead', { on: 'ev0' }));
  s.push(out(1, 'BPF_F_CURRENT_CPU', d5), step('perfPoll', { on: 'ev1' }), out(1, 0, d5, {}, 'CPU 0\'s event from CPU 1'), out(0, 1, d5, {}, 'CPU 1\'s event from CPU 0'));
  s.push(out(0, 2, d5, {}, 'the dummy slot... is empty'), step('update', { key: 2, value: '@dummy' }), out(0, 2, d5, {}, 'not a BPF output event'));
  s.push(out(0, 3, d5, {}, 'index past max_entries'), out(0, 0xfffffffe, d5), out(0, 2 ** 32, d5, {}, 'a bit above the index'), out(0, 2 ** 32 + 0xffffffff, d5));
  s.push(out(0, 0xfffff00000000 + 0xffffffff, d5, {}, 'the ctx length bits are for skb programs'));
  for (const [data, size] of [['', 0], ['aa', 1], ['aabbccdd', 4], ['aabbccddee', 5], ['0102030405060708', 8], ['0102030405060708090a0b0c', 12], [d16, 16], [d16, 3], ['ab'.repeat(100), 100], ['cd'.repeat(256), 256]] as const) {
    s.push(out(1, 'BPF_F_CURRENT_CPU', data, { size }, `${size} bytes`));
  }
  s.push(step('perfRead', { on: 'ev1' }), step('perfRead', { on: 'ev1' }, 'nothing new'));
  // Fill CPU 0's one-page ring: 32-byte records, 4088 of the 4096 bytes usable.
  for (let i = 0; i < 130; i++) s.push(out(0, 'BPF_F_CURRENT_CPU', d16));
  s.push(step('perfRead', { on: 'ev0', max: 2 }, 'make room for two records'));
  s.push(out(0, 'BPF_F_CURRENT_CPU', d5, {}, 'a lost record first, then the sample: 48 bytes do not fit 64 freed?'));
  s.push(out(0, 'BPF_F_CURRENT_CPU', d5));
  s.push(step('perfRead', { on: 'ev0', max: 3 }), out(0, 'BPF_F_CURRENT_CPU', d5, {}, 'the lost record and the sample'), out(0, 'BPF_F_CURRENT_CPU', d16));
  s.push(step('perfRead', { on: 'ev0' }, 'every record left, wrapping past the end'), step('perfRaw', { on: 'ev0' }));
  // Disabled and paused events.
  s.push(step('perfCtl', { on: 'ev1', action: 'disable' }), out(1, 'BPF_F_CURRENT_CPU', d5, {}, 'a disabled event is on no CPU'));
  s.push(step('perfCtl', { on: 'ev1', action: 'enable' }), out(1, 'BPF_F_CURRENT_CPU', d5));
  s.push(step('perfCtl', { on: 'ev1', action: 'pause' }), out(1, 'BPF_F_CURRENT_CPU', d5, {}, 'paused: lost'), out(1, 'BPF_F_CURRENT_CPU', d5));
  s.push(step('perfCtl', { on: 'ev1', action: 'resume' }), out(1, 'BPF_F_CURRENT_CPU', d16), step('perfRead', { on: 'ev1' }), step('perfRaw', { on: 'ev1' }));
  s.push(step('delete', { key: 1 }), out(1, 'BPF_F_CURRENT_CPU', d5, {}, 'its slot emptied'));
  return s;
}

/** Wakeups by watermark, and an overwrite (read-only mapped) ring. */
function perfWakeups(): Json[] {
  const s: Json[] = [];
  const out = (cpu: number, data: string, note?: string): Json => step('perfOutput', { cpu, flags: 'BPF_F_CURRENT_CPU', data }, note);
  const d16 = '00112233445566778899aabbccddeeff';
  s.push(object('wm', { perfEvent: { cpu: 0, pages: 1, wakeupWatermark: 100 } }, 'wake every 100 bytes, not per sample'));
  s.push(object('half', { perfEvent: { cpu: 1, pages: 1, wakeupEvents: 0 } }, 'no per-sample wakeups: the half-ring watermark'));
  s.push(create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2 }));
  s.push(step('update', { key: 0, value: '@wm' }), step('update', { key: 1, value: '@half' }));
  for (let i = 0; i < 8; i++) s.push(out(0, d16), step('perfPoll', { on: 'wm' }, `${(i + 1) * 32} bytes written`));
  for (let i = 0; i < 70; i++) {
    s.push(out(1, d16));
    if (i % 8 === 7 || (i >= 60 && i <= 66)) s.push(step('perfPoll', { on: 'half' }, `${(i + 1) * 32} bytes written`));
  }
  s.push(step('perfRead', { on: 'half', max: 10 }), out(1, d16), step('perfPoll', { on: 'half' }));
  s.push(object('ow', { perfEvent: { cpu: 0, pages: 1, overwrite: true } }, 'mapped read-only: the kernel overwrites'));
  s.push(step('update', { key: 0, value: '@ow' }));
  for (let i = 0; i < 140; i++) s.push(out(0, i % 3 === 0 ? d16 : '0102030405'));
  s.push(step('perfRaw', { on: 'ow' }, 'the whole ring, overwritten'), step('perfPoll', { on: 'ow' }));
  return s;
}

// ---- maps of maps ---------------------------------------------------------------------------------

function mapInMapCreate(type: 'array_of_maps' | 'hash_of_maps'): Json[] {
  const isHash = type === 'hash_of_maps';
  const s: Json[] = [];
  const inner: [string, Json][] = [
    ['array', { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['array_im', { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4, flags: 'BPF_F_INNER_MAP' }],
    ['percpu_array', { type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['hash', { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['lru_hash', { type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['lpm', { type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 4, flags: NP }],
    ['queue', { type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 }],
    ['ringbuf', { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }],
    ['bloom', { type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 }],
    ['prog_array', { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['perf_array', { type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    ['locked', { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, lockOffset: 0 }],
  ];
  for (const [name, def] of inner) s.push(object(name, { map: def }));
  s.push(object('nested', { map: { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, inner: 'array' } }));
  const m = (over: Json): Json => ({ type, keySize: 4, valueSize: 4, maxEntries: 4, inner: 'array', ...(isHash ? { flags: 'BPF_F_ZERO_SEED' } : {}), ...over });
  s.push(create(m({})), step('info'));
  for (const [name] of inner) s.push(create(m({ inner: name }), `inner map template: ${name}`));
  s.push(create(m({ inner: 'nested' }), 'one level only'));
  s.push(create(m({ inner: undefined }), 'no template (inner_map_fd 0: not a map)'));
  for (const [keySize, valueSize] of [[0, 4], [8, 4], [4, 0], [4, 8], [16, 4]]) s.push(create(m({ keySize, valueSize })));
  s.push(create(m({ valueSize: 8, inner: 'prog_array' }), 'order: the value size before the template'));
  s.push(create(m({ inner: undefined, valueSize: 8 })));
  for (const maxEntries of [0, 1, 1000]) s.push(create(m({ maxEntries })));
  for (const flags of FLAG_BITS) s.push(create(m({ flags: isHash && flags !== 64 ? flags + 64 : flags })));
  s.push(create(m({ flags: isHash ? 'BPF_F_ZERO_SEED|BPF_F_RDONLY_PROG' : 'BPF_F_RDONLY_PROG', inner: 'prog_array' }), 'order: the flags before the template'));
  s.push(create(m({ name: 'outer' })), create(m({ name: 'a-b', inner: 'nested' }), 'order: the template before the name'));
  return s;
}

function mapInMapOps(type: 'array_of_maps' | 'hash_of_maps'): Json[] {
  const isHash = type === 'hash_of_maps';
  const s: Json[] = [];
  const arr = (name: string, over: Json = {}): Json => object(name, { map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4, ...over } });
  s.push(arr('in0'), arr('in1'), arr('in2'), arr('big', { maxEntries: 8 }), arr('wide', { valueSize: 8 }), arr('ro', { flags: 'BPF_F_RDONLY_PROG' }));
  s.push(arr('rdonly', { flags: 'BPF_F_RDONLY' }), arr('wronly', { flags: 'BPF_F_WRONLY' }), arr('mm', { flags: 'BPF_F_MMAPABLE' }));
  s.push(object('h', { map: { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 } }), object('p', { prog: { type: 'raw_tracepoint', ret: 0 } }));
  s.push(object('im', { map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: 'BPF_F_INNER_MAP' } }));
  s.push(arr('im8', { maxEntries: 8, flags: 'BPF_F_INNER_MAP' }));
  s.push(create({ type, keySize: 4, valueSize: 4, maxEntries: 3, inner: 'in0', name: 'outer', ...(isHash ? { flags: 'BPF_F_ZERO_SEED' } : {}) }));
  s.push(step('lookup', { key: 0 }, 'empty'), step('walk'));
  s.push(step('update', { key: 0, value: '@in1' }, 'the same shape as the template'));
  s.push(step('update', { key: 1, value: '@big' }, isHash ? 'a hash\'s template is not about max_entries...' : 'another max_entries'));
  s.push(step('update', { key: 1, value: '@wide' }, 'another value size'), step('update', { key: 1, value: '@ro' }, 'other flags'));
  s.push(step('update', { key: 1, value: '@rdonly' }, 'BPF_F_RDONLY is the fd\'s, not the map\'s'), step('update', { key: 1, value: '@wronly' }), step('update', { key: 1, value: '@mm' }));
  s.push(step('update', { key: 1, value: '@h' }, 'another type'), step('update', { key: 1, value: '@p' }, 'a program'), step('update', { key: 1, value: '@#badfd' }));
  s.push(step('update', { key: 1, value: '@im' }, 'BPF_F_INNER_MAP is a flag the template lacks'));
  s.push(step('update', { key: 1, value: '@in0' }, 'the template itself'), step('update', { key: 2, value: '@in1' }, 'one map in two slots'));
  s.push(step('update', { key: 0, value: '@in2', flags: 'BPF_NOEXIST' }), step('update', { key: 5, value: '@in2', flags: 'BPF_EXIST' }));
  s.push(step('update', { key: 0, value: '@in2', flags: 'BPF_F_LOCK' }), step('update', { key: 0, value: '@#badfd', flags: 'BPF_EXIST' }, 'order: the fd before the flags?'));
  s.push(step('update', { key: 3, value: '@in2' }, isHash ? 'full' : 'out of range'), step('update', { key: 3, value: '@#badfd' }));
  for (const key of [0, 1, 2, 3, 7]) s.push(step('lookup', { key }));
  s.push(step('walk'), step('dump'), step('info'));
  // Programs reach the inner maps.
  s.push(step('update', { on: 'in1', key: 2, value: u32(0x1111) }), step('update', { on: 'in0', key: 2, value: u32(0x2222) }));
  for (const [key, innerKey] of [[0, 2], [1, 2], [2, 2], [0, 9], [3, 2]] as const) s.push(step('progLookup', { key, innerKey, cpu: 1 }));
  s.push(step('update', { key: 0, value: '@in0' }, 'replace'), step('progLookup', { key: 0, innerKey: 2 }), step('lookup', { key: 0 }));
  s.push(step('delete', { key: 0 }), step('progLookup', { key: 0, innerKey: 2 }), step('delete', { key: 0 }), step('delete', { key: 9 }));
  s.push(step('lookupAndDelete', { key: 1 }, 'no lookup-and-delete'));
  // Batches.
  s.push(step('lookupBatch', { inBatch: null, count: 3 }), step('updateBatch', { keys: [0, 1], values: ['@in2', '@in1'] }));
  s.push(step('updateBatch', { keys: [0, 1], values: ['@in2', '@wide'] }, 'stops at the map unlike the template'));
  s.push(step('lookupBatch', { inBatch: null, count: 3 }), step('lookupBatch', { inBatch: null, count: 1 }));
  s.push(step('deleteBatch', { keys: [1, 1] }), step('lookupAndDeleteBatch', { inBatch: null, count: 3 }), step('walk'));
  s.push(step('freeze'), step('update', { key: 2, value: '@in2' }), step('lookup', { key: 2 }), step('progLookup', { key: 2, innerKey: 2 }));
  if (!isHash) {
    s.push(create({ type, keySize: 4, valueSize: 4, maxEntries: 2, inner: 'im' }, 'an BPF_F_INNER_MAP template: any max_entries'));
    s.push(step('update', { key: 0, value: '@im8' }), step('update', { key: 1, value: '@big' }, 'but the flag must match'), step('update', { key: 1, value: '@im' }));
    s.push(step('progLookup', { key: 0, innerKey: 7 }), step('walk'), step('dump'));
  } else {
    s.push(create({ type, keySize: 8, valueSize: 4, maxEntries: 4, inner: 'h', flags: 'BPF_F_ZERO_SEED|BPF_F_NO_PREALLOC' }, 'keys of 8 bytes, hash inner maps, no prealloc'));
    s.push(object('h8', { map: { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 } }), object('hb', { map: { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, flags: NP } }));
    s.push(step('update', { key: u64(1), value: '@h8' }, 'hash templates do not compare max_entries'), step('update', { key: u64(2), value: '@hb' }, 'but flags'));
    s.push(step('update', { on: 'h8', key: 5, value: u32(55) }), step('progLookup', { key: u64(1), innerKey: 5 }), step('progLookup', { key: u64(1), innerKey: 6 }));
    for (let i = 3; i < 9; i++) s.push(step('update', { key: u64(i), value: '@h' }));
    s.push(step('walk'), step('lookupBatch', { inBatch: null, count: 8 }), step('dump'));
  }
  return s;
}

export function issue16Scenarios(): [string, string, Json[]][] {
  return [
    ['lpm-create', 'LPM_TRIE creation: BPF_F_NO_PREALLOC required, key sizes (prefixlen + 1..256 data bytes), value sizes up to the kmalloc limit, max_entries, every flag bit, names, check order, access flags', lpmCreate()],
    ['lpm-ops', 'LPM_TRIE on the kernel\'s own example: longest-prefix lookups, prefixlen limits, update flags, intermediate nodes, the full-trie rules, deletes, post-order get_next_key from keys in and out of the trie, program lookups, freeze', lpmOps()],
    ['lpm-sizes', 'LPM_TRIE with 1, 3, 16 (IPv6) and 256 data bytes: bit order, bits past the prefix, walks and lookups', lpmSizes()],
    ['lpm-random', 'LPM_TRIE with 60 pseudo-random nested IPv4 prefixes: the post-order walk, longest-prefix lookups, deletes and re-inserts', lpmRandom()],
    ['lpm-batch', 'LPM_TRIE batch commands: generic update, lookup (cursor: a key) and delete batches, and no lookup-and-delete batch', lpmBatch()],
    ['prog-array-create', 'PROG_ARRAY creation: key and value sizes (a u32 fd), max_entries, every flag bit, names', progArrayCreate()],
    ['prog-array-ops', 'PROG_ARRAY from user space: programs placed by fd (ids read back), objects of other kinds, bad fds, flags, the owner program type, deletes, walks, no batches, freeze, bpftool dumps', progArrayOps()],
    ['tail-call', 'bpf_tail_call through a PROG_ARRAY (BPF_PROG_TEST_RUN of raw tracepoint programs): 33 tail calls a run, empty and out-of-range slots falling through without counting, chains, slots changed between runs, two arrays, the owner type', tailCalls()],
    ['perf-create', 'PERF_EVENT_ARRAY creation: key and value sizes, max_entries, every flag bit (BPF_F_PRESERVE_ELEMS its own)', perfCreate()],
    ['perf-ops', 'PERF_EVENT_ARRAY from user space: perf events placed by fd, other objects and bad fds refused, no lookups (ENOTSUPP), deletes, walks, bpftool dumps with errors, freeze', perfOps()],
    ['perf-output', 'bpf_perf_event_output into per-CPU perf rings: record bytes (PERF_RECORD_SAMPLE, raw size and padding), every error (empty slot, other CPU, dummy event, index, flags, disabled), wakeups every 3 samples, a full ring losing samples and the PERF_RECORD_LOST that follows, wrapping records, pause', perfOutput()],
    ['perf-wakeups', 'Perf ring wakeups by byte watermark (wakeup_watermark, and half the ring without wakeup_events), and an overwrite ring mapped read-only', perfWakeups()],
    ['array-of-maps-create', 'ARRAY_OF_MAPS creation: inner map templates of every type (prog arrays refused, one level only), sizes, every flag bit, check order', mapInMapCreate('array_of_maps')],
    ['array-of-maps-ops', 'ARRAY_OF_MAPS: inner maps placed by fd against the template (max_entries, flags, BPF_F_INNER_MAP), ids read back, program lookups through the outer map, replaced and deleted slots, batches, freeze, dumps', mapInMapOps('array_of_maps')],
    ['hash-of-maps-create', 'HASH_OF_MAPS creation: inner map templates of every type, sizes, every flag bit, check order', mapInMapCreate('hash_of_maps')],
    ['hash-of-maps-ops', 'HASH_OF_MAPS (zero seed): inner maps placed by fd against the template, flags, a full map, ids read back, program lookups, batches, no prealloc, dumps', mapInMapOps('hash_of_maps')],
  ];
}
