// Entry of a CPU worker when percpu-maps runs from its TypeScript sources (tests, tsx): Node 20
// does not carry tsx's ESM hooks into worker threads, so the worker registers them itself and
// then loads the real worker module. The build runs dist/cpu/worker.js directly instead.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');

export const { ping, load, unload, run, attachChannel } = worker;
