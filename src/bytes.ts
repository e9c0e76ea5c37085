// The platform's native byte search, where there is one. Isomorphic: Node's Buffer#indexOf
// (memchr for one byte, several GB/s for a needle); null in browsers, whose callers loop.

/** A view of some bytes with a native `indexOf` (a byte or a byte string), from a position. */
export type NativeByteSearch = Uint8Array & { indexOf(needle: number | Uint8Array, from: number): number };

/** A native-search view of `bytes` (no copy), or null where the platform has none. */
export function nativeByteSearch(bytes: Uint8Array): NativeByteSearch | null {
  const B = (globalThis as { Buffer?: { from(a: ArrayBufferLike, offset: number, length: number): NativeByteSearch } }).Buffer;
  return B === undefined ? null : B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
