import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The dependents' tests load the built package in child processes: build it first.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['test/build-dist.ts'] } }));
