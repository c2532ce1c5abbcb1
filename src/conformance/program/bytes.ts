// Bytes as scenarios write them: lower-case hex, or a list of little-endian typed fields
// ("u32 7", "s64 -1", "u8 0xff", "hex 0a0b", "zero 6") for inputs a person writes by hand.

import { bytesOf } from '../schema.js';

export { bytesOf, hexOf } from '../schema.js';

export const HEX_RE = /^([0-9a-f]{2})*$/;

const WIDTH: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };

/** One typed field as bytes; throws an Error saying what is wrong with it. */
function fieldBytes(field: string): Uint8Array {
  const m = /^(\w+)\s+(\S+)$/.exec(field.trim());
  if (!m) throw new Error(`'${field}' is not '<type> <value>' (u8..u64, s8..s64, hex, zero)`);
  const [, type, text] = m as unknown as [string, string, string];
  if (type === 'hex') {
    if (!HEX_RE.test(text)) throw new Error(`'${field}': hex must be lower-case, two digits a byte`);
    return bytesOf(text);
  }
  if (type === 'zero') {
    if (!/^\d+$/.test(text) || Number(text) > 65536) throw new Error(`'${field}': zero takes a byte count`);
    return new Uint8Array(Number(text));
  }
  const width = WIDTH[type];
  if (width === undefined) throw new Error(`'${field}': unknown type '${type}' (u8..u64, s8..s64, hex, zero)`);
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) throw new Error(`'${field}': '${text}' is not a number`);
  const neg = text.startsWith('-');
  const v = BigInt(neg ? text.slice(1) : text) * (neg ? -1n : 1n);
  const bits = BigInt(width * 8);
  if (v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new Error(`'${field}': ${text} does not fit in ${width * 8} bits`);
  const u = BigInt.asUintN(width * 8, v);
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Hex or typed fields as bytes; throws an Error naming the bad part. */
export function parseBytes(v: unknown): Uint8Array {
  if (typeof v === 'string') {
    if (!HEX_RE.test(v)) throw new Error(`must be lower-case hex (two digits a byte), got ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`);
    return bytesOf(v);
  }
  if (Array.isArray(v) && v.every((f) => typeof f === 'string')) {
    const parts = v.map((f) => fieldBytes(f));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  throw new Error('must be hex or a list of typed fields such as ["u32 1", "u64 -5"]');
}

/** A number key as key_size little-endian bytes. */
export function numberBytes(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt(n);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
