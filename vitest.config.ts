import { defineConfig } from 'vitest/config';

// Real-Tomcat tests start JVMs; on a 2-core machine running their files in parallel only makes them slower
// and flakier, so files run one after another while tests inside stay fast.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
