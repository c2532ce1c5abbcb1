// The benchmark from the sources, without a build: `npx tsx bench/index.ts [options]` takes the
// same options as `percpu-maps bench` (`npm run bench` runs the built one). This folder also holds
// the committed baseline (baseline.json) and the issue 4 figure scripts (issue4/); results
// go to results/ (not committed).
import { benchCommand } from '../src/cli/bench.js';

process.exitCode = await benchCommand(process.argv.slice(2));
