// Map-operation handlers on a hash map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('hash');
