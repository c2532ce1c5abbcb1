// The race lab's atomic counter on each CPU's own slot, slabs 8 bytes apart (see workloads/race/atomic.ts).
import { atomicCounter } from '../../workloads/race/atomic.js';

export default atomicCounter('percpu-atomic-8', 8);
