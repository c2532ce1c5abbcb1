// Map-operation handlers on a lru_percpu_hash map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('lru_percpu_hash');
