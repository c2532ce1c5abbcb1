// Opening an object from a path: the only part of the loader that needs Node's file system, kept
// apart so object.ts (bytes in, BpfObject out) runs anywhere.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ObjectError } from './errors.js';
import { openObject } from './object.js';
import type { BpfObject, OpenOptions } from './types.js';

/** Opens an object file; its name is libbpf's: the basename up to its first '.'. */
export function openObjectFile(path: string, options: OpenOptions = {}): BpfObject {
  const name = options.name ?? objectNameOf(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ObjectError(`cannot read ${path}: ${(e as Error).message}`, { hint: 'check the path' }, name);
  }
  return openObject(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name });
}

/** libbpf's object name for a path: the file's basename up to its first '.'. */
export function objectNameOf(path: string): string {
  const base = basename(path);
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}
