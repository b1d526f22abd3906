// Vitest: unit, property, simulation and adapter contract suites that run in Node.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/browser/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
    ],
  },
});
