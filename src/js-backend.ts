/**
 * simdconv/js-backend: makes the float64 js backend available (`init({ backend: 'js' })`, and the fallback on
 * engines without WebAssembly SIMD). The main `simdconv` entry and `simdconv/webgpu` import it; a bundle built
 * from single-op entries holds it only when it also has `import 'simdconv/js-backend'`.
 */
import { createJsContext } from './backends/js.js';
import { installJsBackend } from './context.js';

installJsBackend(createJsContext);
