import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    // The relaxed-SIMD build needs this V8 flag on Node 20 (Node 22+ has it on by default).
    pool: 'forks',
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
