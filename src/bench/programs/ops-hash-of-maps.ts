// Map-operation handlers on a hash_of_maps map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('hash_of_maps');
