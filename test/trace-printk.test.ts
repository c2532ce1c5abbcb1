// bprintf: bpf_trace_printk's formatting on a program's bytes, as the kernel's checker
// (bpf_bprintf_prepare) and vsnprintf make it. The lengths marked "kernel:" are the helper's
// return values on Linux 6.18 (test/conformance/programs/trace-printk.json).

import { describe, expect, it } from 'vitest';
import { bprintf } from '../src/maps/trace-pipe.js';

const fmt = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);
const print = (f: string, ...args: (number | bigint)[]): string | null =>
  bprintf(fmt(f), args.map((a) => BigInt.asUintN(64, BigInt(a))), () => null, () => null);

describe('bprintf widths and flags', () => {
  it('pads to a width with spaces, left-justifies with -, pads with zeros after the sign with 0', () => {
    // kernel: 17 and 20
    expect(print('%5d|%-5d|%05d', 42, -3, 7)).toBe('   42|-3   |00007');
    expect(print('%5d|%-5d|%05d', 123456, -123456, -1)).toBe('123456|-123456|-0001');
  });

  it('signs a non-negative %d with + or a space, never an unsigned conversion', () => {
    expect(print('%+d % d %+u %+x', 5, 5, 5, 255)).toBe('+5  5 5 ff');
  });

  it('pads strings and characters with spaces only', () => {
    expect(print('[%3c][%-3c][%03c]', 65, 66, 67)).toBe('[  A][B  ][  C]');
  });

  it('prints a pointer as 16 zero-padded hex digits without 0x', () => {
    // kernel: %px of 4660 is 16 characters
    expect(print('%px', 4660)).toBe('0000000000001234');
    expect(print('%p', 4660)).toBe('0000000000001234');
  });

  it('refuses a precision, which the helper\'s checker does not skip', () => {
    expect(print('%.3d', 5)).toBeNull();
  });
});
