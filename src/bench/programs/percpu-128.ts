// The race lab's per-CPU counter with CPUs' slabs 128 bytes apart (see workloads/race/percpu.ts).
import { percpuCounter } from '../../workloads/race/percpu.js';

export default percpuCounter('percpu-128', 128);
