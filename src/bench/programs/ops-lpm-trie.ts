// Map-operation handlers on an lpm_trie map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('lpm_trie');
