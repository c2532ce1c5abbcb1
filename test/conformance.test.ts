// Kernel conformance: percpu-maps against the outcomes the live Linux kernel gave for every
// scenario in test/conformance (check mode, everywhere), and against the live kernel itself
// (live mode, wherever bpftool and bpf() work; otherwise reported as skipped, with the reason).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceCommand } from '../src/cli/conformance.js';
import { formatSummary, parseScenario, probeKernel, runConformance, scenarioFiles, ScenarioError, type Summary } from '../src/conformance/index.js';

const FILES = scenarioFiles(undefined);

/** Differences as text, so a failing test shows them in full. */
function differences(s: Summary): string[] {
  return s.differences.map((d) => `${d.scenario} step ${d.step} (${d.op}) input ${JSON.stringify(d.input)} kernel ${JSON.stringify(d.kernel)} ours ${JSON.stringify(d.ours)}`);
}

describe('check mode: percpu-maps against the recorded kernel outcomes', () => {
  for (const file of FILES) {
    it(`${basename(file, '.json')}: every step agrees with the recorded kernel`, async () => {
      const s = await runConformance({ mode: 'check', scenarios: [file] });
      expect(s.errors).toEqual([]);
      expect(s.skips).toEqual([]);
      expect(differences(s)).toEqual([]);
      expect(s.agree).toBe(s.steps);
    });
  }

  it('every step of every scenario carries an outcome recorded by the kernel', () => {
    for (const file of FILES) {
      const sc = parseScenario(file, readFileSync(file, 'utf8'));
      expect(sc.recorded?.kernel, file).toMatch(/^\d+\.\d+/);
      expect(sc.steps.filter((s) => s.kernel === undefined).length, file).toBe(0);
    }
  });

  it('the scenarios hold at least 300 steps', () => {
    const steps = FILES.map((f) => parseScenario(f, readFileSync(f, 'utf8')).steps.length).reduce((a, b) => a + b, 0);
    expect(steps).toBeGreaterThanOrEqual(300);
  });
});

const probe = await probeKernel();
if (!probe.ok) {
  // Loud, and the live tests below show as skipped, never as passed.
  console.warn(`\n*** LIVE KERNEL CONFORMANCE SKIPPED: ${probe.reason} ***\n`);
}

describe.skipIf(!probe.ok)('live mode: percpu-maps and the kernel side by side', () => {
  for (const file of FILES) {
    it(`${basename(file, '.json')}: every step agrees with the live kernel`, async () => {
      const s = await runConformance({ mode: 'live', scenarios: [file] });
      expect(s.unavailable).toBeUndefined();
      expect(s.errors).toEqual([]);
      // Only steps naming a CPU this machine lacks may be skipped.
      expect(s.skips.filter((k) => !/possible CPUs/.test(k.reason))).toEqual([]);
      expect(differences(s)).toEqual([]);
      expect(s.agree + s.skipped).toBe(s.steps);
    });
  }
});

describe('a kernel half that cannot run is reported, not passed', () => {
  it('names a missing bpftool in one line and counts every step as skipped', async () => {
    const s = await runConformance({ mode: 'live', scenarios: [FILES[0]!], bpftool: '/nonexistent/bpftool' });
    expect(s.unavailable).toBe('bpftool is not installed (Debian/Ubuntu: apt-get install bpftool)');
    expect(s.agree).toBe(0);
    expect(s.skipped).toBe(s.steps);
    expect(formatSummary(s)).toContain('LIVE HALF SKIPPED: bpftool is not installed');
  });
});

// ---- malformed scenarios ---------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'conformance-test-'));
const CREATE = { op: 'create', map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 } };

function errorOf(steps: unknown[], extra: Record<string, unknown> = {}): ScenarioError {
  const text = JSON.stringify({ description: 'malformed', steps, ...extra });
  try {
    parseScenario('bad.json', text);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('the scenario was accepted');
}

describe('a malformed scenario gets an error naming the file, the step and the field', () => {
  it('rejects text that is not JSON', () => {
    expect(() => parseScenario('bad.json', '{ "steps": [')).toThrow(/^bad\.json: file: not valid JSON/);
  });

  it('rejects an unknown op', () => {
    const e = errorOf([CREATE, { op: 'push', key: 0 }]);
    expect([e.file, e.step, e.field]).toEqual(['bad.json', 2, 'op']);
    expect(e.message).toBe('bad.json: step 2, field \'op\': must be one of create, update, lookup, delete, getNextKey, lookupAndDelete, freeze, walk, info, progLookup, lookupBatch, lookupAndDeleteBatch, updateBatch, deleteBatch, object, progRun, perfOutput, perfRead, perfRaw, perfPoll, perfCtl, dump, got "push"');
  });

  it('rejects a key of the wrong size', () => {
    const e = errorOf([CREATE, { op: 'lookup', key: '0100' }]);
    expect(e.message).toBe('bad.json: step 2, field \'key\': must be key_size = 4 bytes, got 2');
  });

  it('rejects a value of the wrong size', () => {
    const e = errorOf([CREATE, { op: 'update', key: 0, value: '01020304ff' }]);
    expect(e.message).toBe('bad.json: step 2, field \'value\': must be 4 bytes (value_size), got 5');
  });

  it('rejects an object step that reuses a name, or names none', () => {
    const obj = { op: 'object', name: 'a', map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } };
    let e = errorOf([obj, obj]);
    expect([e.step, e.field]).toEqual([2, 'name']);
    e = errorOf([{ op: 'object', map: obj.map }]);
    expect(e.message).toBe('bad.json: step 1, field \'name\': must be a new name of 1 to 31 characters of [A-Za-z0-9_.-]');
  });

  it('rejects an object step with two kinds of object', () => {
    const e = errorOf([{ op: 'object', name: 'a', map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, perfEvent: { cpu: 0 } }]);
    expect(e.message).toBe('bad.json: step 1, field \'map\': an object step takes exactly one of "map", "prog", "perfEvent"');
  });

  it('rejects a step on an object that was never made, and a template that is no map object', () => {
    let e = errorOf([CREATE, { op: 'lookup', on: 'nope', key: 0 }]);
    expect(e.message).toBe('bad.json: step 2, field \'on\': must name a map object made by an earlier object step, got "nope"');
    e = errorOf([{ op: 'object', name: 'p', prog: { type: 'raw_tracepoint', ret: 0 } }, { op: 'create', map: { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, inner: 'p' } }]);
    expect([e.step, e.field]).toEqual([2, 'map.inner']);
  });

  it('rejects a program recipe of an unknown type or with a bad tail call', () => {
    let e = errorOf([{ op: 'object', name: 'p', prog: { type: 'lsm', ret: 0 } }]);
    expect([e.step, e.field]).toEqual([1, 'prog.type']);
    e = errorOf([{ op: 'object', name: 'p', prog: { type: 'raw_tracepoint', ret: 0, tailCalls: [{ map: 'x', index: 0 }] } }]);
    expect(e.message).toBe('bad.json: step 1, field \'prog.tailCalls[0].map\': must name a map object made by an earlier object step, got "x"');
  });

  it('rejects a perf event of a page count that is no power of two, and a perf op on no perf event', () => {
    let e = errorOf([{ op: 'object', name: 'e', perfEvent: { cpu: 0, pages: 3 } }]);
    expect([e.step, e.field]).toEqual([1, 'perfEvent.pages']);
    e = errorOf([{ op: 'object', name: 'a', map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } }, { op: 'perfRead', on: 'a' }]);
    expect(e.message).toBe('bad.json: step 2, field \'on\': must name a perf object made by an earlier object step, got "a"');
  });

  it('rejects perf output data that is not hex, or a size past it', () => {
    const pe = { op: 'create', map: { type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 1 } };
    let e = errorOf([pe, { op: 'perfOutput', cpu: 0, flags: 0, data: 'xyz' }]);
    expect([e.step, e.field]).toEqual([2, 'data']);
    e = errorOf([pe, { op: 'perfOutput', cpu: 0, flags: 0, data: 'aabb', size: 3 }]);
    expect(e.message).toBe('bad.json: step 2, field \'size\': must be at most the length of data');
    e = errorOf([pe, { op: 'perfOutput', cpu: 0, flags: 'BPF_F_ALL', data: 'aabb' }]);
    expect([e.step, e.field]).toEqual([2, 'flags']);
  });

  it('rejects one value per CPU for a map that is not per-CPU', () => {
    const e = errorOf([CREATE, { op: 'update', key: 0, values: ['01020304'] }]);
    expect([e.step, e.field]).toEqual([2, 'values']);
  });

  it('rejects a per-CPU value that is neither value_size nor a whole slot', () => {
    const pc = { op: 'create', map: { type: 'percpu_array', keySize: 4, valueSize: 12, maxEntries: 2 } };
    const e = errorOf([pc, { op: 'update', key: 0, values: ['00'.repeat(12), '00'.repeat(13)] }]);
    expect(e.message).toBe('bad.json: step 2, field \'values[1]\': must be 12 or 16 bytes (value_size, or one whole per-CPU slot), got 13');
  });

  it('rejects an element op before any create', () => {
    const e = errorOf([{ op: 'lookup', key: 0 }]);
    expect(e.message).toBe('bad.json: step 1, field \'op\': a lookup step needs a create step before it');
  });

  it('rejects an unknown flag name, naming the map field', () => {
    const e = errorOf([{ op: 'create', map: { ...CREATE.map, flags: 'BPF_F_RDONLY|BPF_F_FAST' } }]);
    expect([e.step, e.field]).toEqual([1, 'map.flags']);
    expect(e.message).toContain("unknown flag 'BPF_F_FAST'");
  });

  it('rejects a misaligned bpf_spin_lock offset', () => {
    const e = errorOf([{ op: 'create', map: { ...CREATE.map, valueSize: 8, lockOffset: 2 } }]);
    expect([e.step, e.field]).toEqual([1, 'map.lockOffset']);
  });

  it('rejects a field that does not belong to the op', () => {
    const e = errorOf([CREATE, { op: 'delete', key: 0, value: '00000000' }]);
    expect(e.message).toBe('bad.json: step 2, field \'value\': is not a field of a delete step');
  });

  it('rejects a recorded outcome of the wrong shape', () => {
    const e = errorOf([{ ...CREATE, kernel: { ok: true, errno: 'EINVAL' } }]);
    expect([e.step, e.field]).toEqual([1, 'kernel']);
  });

  it('rejects a CPU number that is not one', () => {
    const e = errorOf([CREATE, { op: 'lookup', key: 0, cpu: -1 }]);
    expect([e.step, e.field]).toEqual([2, 'cpu']);
  });

  it('the command prints the error as one line and exits with 2', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ description: 'broken', steps: [CREATE, { op: 'lookup' }] }));
    let out = '';
    let err = '';
    const code = await conformanceCommand([file], (t) => { out += t; }, (t) => { err += t; });
    expect(code).toBe(2);
    expect(out).toContain(`ERROR ${file}: step 2, field 'key': is missing; give 4 bytes as hex, a number, or null for a NULL key pointer`);
    expect(err).toBe('');
  });

  it('the command names a scenario that does not exist in one line', async () => {
    let err = '';
    const code = await conformanceCommand(['no-such-scenario'], () => {}, (t) => { err += t; });
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^percpu-maps conformance: no scenario 'no-such-scenario'/);
  });

  it('the command refuses an unknown option in one line, as every command does', async () => {
    let err = '';
    expect(await conformanceCommand(['--nosuch'], () => {}, (t) => { err += t; })).toBe(2);
    expect(err).toBe("percpu-maps conformance: unknown option '--nosuch' (see 'percpu-maps conformance --help')\n");
  });

  it('the command lists the scenario names when it is given an unknown one', async () => {
    let err = '';
    expect(await conformanceCommand(['array-acess'], () => {}, (t) => { err += t; })).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^percpu-maps conformance: no scenario 'array-acess'; the scenarios are array-access, array-batch, .*, tail-call \(or give the path of a \.json file\)$/m);
  });

  it('--json prints the summary as JSON', async () => {
    let out = '';
    expect(await conformanceCommand(['--json', 'array-access'], (t) => { out += t; }, () => {})).toBe(0);
    const s = JSON.parse(out) as { mode: string; scenarios: number; differ: number; agree: number; steps: number };
    expect([s.mode, s.scenarios, s.differ, s.agree > 0, s.agree + s.differ]).toEqual(['check', 1, 0, true, s.steps - (s as unknown as { skipped: number }).skipped]);
  });
});

describe('the summary', () => {
  it('prints each difference in full: step, input, kernel outcome, ours', async () => {
    const file = join(dir, 'wrong-recording.json');
    writeFileSync(file, JSON.stringify({
      description: 'a deliberately wrong recording, to see the printer',
      recorded: { kernel: '6.18.0-test', cpus: 2, bpftool: '7.1.0' },
      steps: [{ ...CREATE, kernel: { ok: true } }, { op: 'lookup', key: 5, kernel: { value: '00000000' } }],
    }));
    const s = await runConformance({ mode: 'check', scenarios: [file] });
    expect([s.scenarios, s.steps, s.agree, s.differ, s.skipped]).toEqual([1, 2, 1, 1, 0]);
    expect(formatSummary(s).split('\n')).toEqual([
      'percpu-maps conformance (check): recorded on kernel 6.18.0-test, 2 possible CPUs',
      '  scenarios 1  steps 2  agree 1  differ 1  skipped 0',
      '',
      `DIFFERENCE wrong-recording step 2 (lookup)  [${file}]`,
      '  input:  {"op":"lookup","key":5}',
      '  kernel: {"value":"00000000"}',
      '  ours:   {"errno":"ENOENT"}',
    ]);
  });

  it('counts a scenario that was never recorded as skipped, with what to run', async () => {
    const file = join(dir, 'unrecorded.json');
    writeFileSync(file, JSON.stringify({ description: 'not recorded yet', steps: [CREATE, { op: 'lookup', key: 0 }] }));
    const s = await runConformance({ mode: 'check', scenarios: [file] });
    expect([s.agree, s.differ, s.skipped]).toEqual([0, 0, 2]);
    expect(s.skips).toEqual([{ scenario: 'unrecorded', step: 0, reason: 'never recorded: run percpu-maps conformance --record unrecorded' }]);
  });
});
