// The package's `node` export condition for simdconv/convTranspose2d: Node's platform first (src/platform/node.ts), then the module.
import '../platform/node.js';
export * from '../ops/convTranspose2d.js';
