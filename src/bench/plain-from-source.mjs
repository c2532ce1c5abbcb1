// Entry of a plain-JS reference worker when the benchmark runs from its TypeScript sources: Node
// 20 does not carry tsx's hooks into worker threads, so the worker registers them itself first.
// The build runs dist/bench/plain-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./plain-worker.ts');
