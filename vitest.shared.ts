import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: tests run on TypeScript sources through the `strata-source`
 * export condition, so no build is needed before `vitest`. Each run also writes a JSON
 * report that `scripts/test-summary.mjs` folds into one closing line for CI.
 */
export default defineConfig({
  resolve: { conditions: ['strata-source'] },
  ssr: { resolve: { conditions: ['strata-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
