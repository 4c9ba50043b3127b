import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: a few files at a time keeps the database and the suite both fast.
    maxWorkers: 3,
    env: { LOG_LEVEL: 'warn' },
  },
});
