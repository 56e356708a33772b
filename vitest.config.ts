import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // web/src: the app's unit tests (pure functions, React rendered to a string; no DOM needed).
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
