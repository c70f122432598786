// What the package's `node` export condition does for a Node user (src/node/*.ts), done for tests importing src/.
import '../src/platform/node.js';
