// `npm run fuzz` (fuzz/campaign.test.ts): the test suite's settings (vitest.config.ts), the fuzz campaigns only.
import { defineConfig } from 'vitest/config';
import { detectFeatures } from '../src/backends/wasm/module.js';

export default defineConfig({
  test: {
    include: ['fuzz/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup-node.ts'],
    execArgv: detectFeatures().relaxed ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
