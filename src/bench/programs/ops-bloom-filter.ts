// Map-operation handlers on a bloom_filter map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('bloom_filter');
