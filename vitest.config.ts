import { defineConfig } from 'vitest/config';
import { detectFeatures } from './src/backends/wasm/module.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // Tests import src/ directly, not through the package's `node` export condition: install Node's platform.
    setupFiles: ['test/setup-node.ts'],
    // Node 20 validates relaxed SIMD only behind this V8 flag; newer engines ship it (and may drop the flag),
    // so it is passed only where this engine needs it.
    execArgv: detectFeatures().relaxed ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
