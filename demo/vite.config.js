// `npm run demo`: the playground, served cross-origin isolated so that wasm threads can run in its Worker.
import { fileURLToPath } from 'node:url';

const headers = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default {
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The demo imports the package by name, as an app would; here the name means this repository's build.
  resolve: { alias: { simdconv: fileURLToPath(new URL('../dist', import.meta.url)) } },
  server: { headers },
  preview: { headers },
  build: { outDir: 'dist', emptyOutDir: true },
};
