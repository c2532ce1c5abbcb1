// The per-CPU counter with a locked add, CPUs' slabs 128 bytes apart (see percpu-stride.ts).
import { percpuAtomicCounter } from './percpu-stride.js';

export default percpuAtomicCounter(128);
