import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The memory tests read the heap after a full GC: the workers need --expose-gc.
export default mergeConfig(shared, defineConfig({ test: { execArgv: ['--expose-gc'] } }));
