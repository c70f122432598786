// The package's `node` export condition for simdconv/convTranspose1d: Node's platform first (src/platform/node.ts), then the module.
import '../platform/node.js';
export * from '../ops/convTranspose1d.js';
