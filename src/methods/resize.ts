// Bilinear resizing of a single-channel map with half-pixel centres (TensorFlow's
// `resize(..., 'bilinear')`, align_corners=false, no antialiasing), edge-clamped.

/** Resizes a (h, w) map to (outH, outW). */
export function resizeBilinear(src: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      const a = src[y0 * w + x0]! * (1 - dx) + src[y0 * w + x1]! * dx;
      const b = src[y1 * w + x0]! * (1 - dx) + src[y1 * w + x1]! * dx;
      out[y * outW + x] = a * (1 - dy) + b * dy;
    }
  }
  return out;
}
