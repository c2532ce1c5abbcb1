// Object ids (the kernel's map_idr and prog_idr) and the table a thread finds objects in by id.
//
// There are no file descriptors here. Where the kernel takes an fd in a map value (a map-in-map's
// inner map, a prog array's program, a perf event array's perf event), user space writes the
// object's id, 4 bytes little-endian; lookups return the id, as the kernel's do. Maps, programs and
// perf events share one id space, so an id of the wrong kind is told apart from an id of nothing:
// the kernel's EINVAL (an fd of another kind) and EBADF (no such fd).
//
// Each thread has its own table. An object user space makes reachable from programs while they
// run (an inner map placed in an outer map, a perf event placed in an array) is published: the
// runtime sends its handle to every CPU, and a CPU opens it the first time a program meets its id
// (setIdrResolver). Ids are unique in the process: the main thread counts from 1, a worker thread
// from threadId x 2^20 (workers rarely create maps; the kernel's ids are global counters too).

import { isMainThread, threadId } from 'node:worker_threads';

export type IdrKind = 'map' | 'prog' | 'perf_event';

/** A program, as a prog array and a tail call see it (the kernel's struct bpf_prog). */
export interface BpfProg {
  readonly id: number;
  /** enum bpf_prog_type (uapi.ts BPF_PROG_TYPE_*): a prog array takes programs of one type. */
  readonly type: number;
  /** For messages: the program's SEC() name or its handler's probe. */
  readonly name: string;
  /** A TypeScript handler: runs the program on a context (null for a program this thread cannot run). */
  readonly run: ((ctx: any) => unknown) | null;
}

/** What a CPU needs to open a published object in its own thread. */
export interface PublishedObject {
  readonly id: number;
  readonly kind: 'map' | 'perf_event';
  /** A MapHandle or a PerfEventHandle: plain data and shared buffers. */
  readonly handle: unknown;
}

const WORKER_ID_BASE = 2 ** 20;
let nextId = 1;

/** A new id, unique in the process. */
export function idrAlloc(): number {
  const n = nextId++;
  return isMainThread ? n : threadId * WORKER_ID_BASE + n;
}

interface Entry {
  readonly kind: IdrKind;
  /** Weakly held: whoever keeps the object alive (its creator, an outer map holding it) holds it strongly. */
  readonly ref: WeakRef<object>;
}

const table = new Map<number, Entry>();
let resolver: ((id: number) => void) | null = null;

/** Enter an object under its id in this thread's table (the first object entered for an id stays). */
export function idrAdd(id: number, kind: IdrKind, obj: object): void {
  const e = table.get(id);
  if (e !== undefined && e.ref.deref() !== undefined) return;
  table.set(id, { kind, ref: new WeakRef(obj) });
}

/** Forget an id in this thread (a program unloaded). */
export function idrRemove(id: number, obj?: object): void {
  const e = table.get(id);
  if (e !== undefined && (obj === undefined || e.ref.deref() === obj)) table.delete(id);
}

/** The object of an id in this thread, asking the resolver (published objects) once on a miss. */
export function idrFind(id: number): { kind: IdrKind; obj: object } | undefined {
  let e = table.get(id);
  let obj = e?.ref.deref();
  if (obj === undefined && resolver !== null) {
    resolver(id);
    e = table.get(id);
    obj = e?.ref.deref();
  }
  if (e === undefined || obj === undefined) return undefined;
  return { kind: e.kind, obj };
}

/** How this thread learns of objects published elsewhere (a CPU worker drains its channel). */
export function setIdrResolver(fn: ((id: number) => void) | null): void {
  resolver = fn;
}

// ---- publishing ---------------------------------------------------------------------------------

const published = new Map<number, PublishedObject>();
const publishers = new Set<(o: PublishedObject) => void>();

/**
 * Make an object reachable by id in every CPU (once per id). Called before the id is stored
 * where a program can read it, so a CPU that reads the id finds the handle already sent.
 */
export function idrPublish(o: PublishedObject): void {
  if (published.has(o.id)) return;
  published.set(o.id, o);
  for (const p of publishers) p(o);
}

/** Receive every object published from now on; returns the function that stops it. */
export function addIdrPublisher(fn: (o: PublishedObject) => void): () => void {
  publishers.add(fn);
  return () => publishers.delete(fn);
}

/**
 * Every object published so far (for a CPU started or restarted after they were placed). They stay
 * here, and open in the CPUs that met them, for the life of the process: the kernel frees a map
 * when its last reference goes; nothing here is freed early, so a program never meets a freed map.
 */
export function idrPublished(): PublishedObject[] {
  return [...published.values()];
}
