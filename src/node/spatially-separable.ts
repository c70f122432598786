// The package's `node` export condition for simdconv/spatially-separable: Node's platform first (src/platform/node.ts), then the module.
import '../platform/node.js';
export * from '../ops/spatially-separable.js';
