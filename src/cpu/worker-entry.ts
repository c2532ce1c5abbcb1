// Entry of a CPU worker in the built package. When the main thread runs under tsx (`npx tsx
// main.ts`, `node --import tsx main.ts`), programs may be TypeScript, and Node 20 does not carry
// tsx's module hooks into worker threads: the worker registers them first, then loads the real
// worker module, so the worker's modules and the program's imports (percpu-maps among them) go
// through the same loader and are the same instances. (Registered later, at a program's load, the
// program would get a second copy of percpu-maps, with its own CPU id and current task.)
// From our sources, worker-from-source.mjs does the same.

import { workerData } from 'piscina';
import type * as Worker from './worker.js';

const tsx = (workerData as { typescript?: string | null } | undefined)?.typescript;
if (typeof tsx === 'string') ((await import(tsx)) as { register(): unknown }).register();
const worker = (await import('./worker.js')) as typeof Worker;

export const { ping, load, loadObject, unload, run, attachChannel } = worker;
