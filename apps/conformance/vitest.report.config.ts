/** `npm run report`: the full matrix (every implementation and direction), which writes REPORT.md. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['strata-source'] },
  ssr: { resolve: { conditions: ['strata-source'] } },
  test: {
    include: ['report/**/*.report.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
