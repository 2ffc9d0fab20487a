/** Byte pixels to [0, 1] floats: the one conversion every image loader shares, so all produce identical values. */

/**
 * `UNIT_BYTES[b]` is `b / 255` rounded to float32. A lookup table rather than a division per pixel, and one
 * table for every loader, so the same byte always becomes the same float whichever file format it came from.
 * @example UNIT_BYTES[255]; // 1
 */
export const UNIT_BYTES: Readonly<Float32Array> = (() => {
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) t[b] = b / 255;
  return t;
})();

/**
 * Writes `src[i] / 255` into `dst` starting at `offset`, and returns `dst`.
 * @example
 * const out = bytesToUnit(new Uint8Array([0, 255]), new Float32Array(2)); // Float32Array [0, 1]
 */
export function bytesToUnit(src: Uint8Array, dst: Float32Array, offset = 0): Float32Array {
  for (let i = 0; i < src.length; i++) dst[offset + i] = UNIT_BYTES[src[i]];
  return dst;
}
