// The package's `node` export condition for simdconv/depthwise-separable: Node's platform first (src/platform/node.ts), then the module.
import '../platform/node.js';
export * from '../ops/depthwise-separable.js';
