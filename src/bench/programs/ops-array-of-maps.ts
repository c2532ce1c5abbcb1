// Map-operation handlers on an array_of_maps map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('array_of_maps');
