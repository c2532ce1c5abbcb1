// Entry of a CPU worker when percpu-maps runs from its TypeScript sources (tests, tsx): Node 20
// does not carry tsx's ESM hooks into worker threads, so the worker registers them itself and
// then loads the real worker module. The build's entry, dist/cpu/worker-entry.js, does the same when
// the main thread runs under tsx.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');

export const { ping, load, loadObject, unload, run, attachChannel } = worker;
