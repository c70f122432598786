/**
 * Whether two float arrays hold the same bits (NaN payloads and signed zeros included). Also the fast way to
 * compare large arrays: vitest's toEqual walks a Float32Array element by element (3.9 s per million).
 */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0
  );
}
