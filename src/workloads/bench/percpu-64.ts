// The per-CPU counter with CPUs' slabs 64 bytes apart (see percpu-stride.ts).
import { percpuCounter } from './percpu-stride.js';

export default percpuCounter(64);
