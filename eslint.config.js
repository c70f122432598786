// ESLint (flat config): the recommended JS and typescript-eslint rules on the TypeScript and JavaScript of
// src/, test/, bench/, scripts/, examples/ and demo/; Prettier owns formatting (eslint-config-prettier turns
// the style rules off). assembly/ is AssemblyScript (decorators on functions, i32/v128 types), which neither
// parser reads: asc type-checks it when the wasm is built.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'assembly/',
      'dist/',
      'wasm/',
      'node_modules/',
      'demo/dist/',
      '.fixtures/',
      'bench/results/',
      'src/backends/wasm/gen/',
      'src/ops/index.ts',
      'src/node/',
      '.gl/',
      '.whl/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // Unused arguments named _x are deliberate (callbacks with a fixed signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The thread-pool worker runs as a classic or module worker script with `self`.
    files: ['src/backends/wasm/worker.js'],
    languageOptions: { globals: { ...globals.worker } },
  },
);
