// The package's `node` export condition for simdconv/channel-shuffle: Node's platform first (src/platform/node.ts), then the module.
import '../platform/node.js';
export * from '../ops/channel-shuffle.js';
