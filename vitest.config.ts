import { defineConfig } from 'vitest/config';

// Suites start piscina workers (one per simulated CPU) on a 2-core machine: run files one at a time
// so simulated CPUs are not starved by other suites, and give worker start-up room.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
