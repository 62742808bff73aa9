/**
 * A picture in 4:2:0 planar YUV, allocated at the coded size (whole macroblocks); the
 * displayed size is width x height (the encoder crops the rest away).
 */
export class YuvFrame {
  readonly width: number;
  readonly height: number;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  /** The planes four samples at a time (same memory). */
  readonly y32: Uint32Array;
  readonly u32: Uint32Array;
  readonly v32: Uint32Array;

  constructor(width: number, height: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width % 2 || height % 2) {
      throw new RangeError(`a frame is at least 16x16 with even width and height, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.codedWidth = Math.ceil(width / 16) * 16;
    this.codedHeight = Math.ceil(height / 16) * 16;
    this.y = new Uint8Array(this.codedWidth * this.codedHeight).fill(16);
    this.u = new Uint8Array((this.codedWidth * this.codedHeight) / 4).fill(128);
    this.v = new Uint8Array((this.codedWidth * this.codedHeight) / 4).fill(128);
    this.y32 = new Uint32Array(this.y.buffer);
    this.u32 = new Uint32Array(this.u.buffer);
    this.v32 = new Uint32Array(this.v.buffer);
  }

  get mbWidth(): number {
    return this.codedWidth / 16;
  }
  get mbHeight(): number {
    return this.codedHeight / 16;
  }

  /** The displayed picture as ffmpeg's rawvideo yuv420p writes it (Y, then U, then V, cropped). */
  displayed(): Buffer {
    const w = this.width,
      h = this.height,
      cw = w / 2,
      ch = h / 2;
    const out = Buffer.allocUnsafe(w * h + 2 * cw * ch);
    let o = 0;
    for (let r = 0; r < h; r++) {
      out.set(this.y.subarray(r * this.codedWidth, r * this.codedWidth + w), o);
      o += w;
    }
    for (const plane of [this.u, this.v]) {
      for (let r = 0; r < ch; r++) {
        out.set(plane.subarray((r * this.codedWidth) / 2, (r * this.codedWidth) / 2 + cw), o);
        o += cw;
      }
    }
    return out;
  }
}

/** A rectangle in luma pixels: [x, x + w) x [y, y + h). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A color in video-range YCbCr. */
export interface Color {
  y: number;
  u: number;
  v: number;
}

export function rgb(r: number, g: number, b: number): Color {
  // BT.601 limited range: what decoders assume without VUI color information.
  const y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256;
  const u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256;
  const v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256;
  const c = (x: number) => Math.max(16, Math.min(235, Math.round(x)));
  return { y: c(y), u: c(u), v: c(v) };
}

/** Fills a rectangle (clipped to the coded picture; chroma at even coordinates). */
export function fillRect(f: YuvFrame, x: number, y: number, w: number, h: number, c: Color): void {
  let x0 = Math.max(0, Math.floor(x)),
    y0 = Math.max(0, Math.floor(y));
  let x1 = Math.min(f.codedWidth, Math.floor(x + w)),
    y1 = Math.min(f.codedHeight, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const W = f.codedWidth;
  for (let r = y0; r < y1; r++) f.y.fill(c.y, r * W + x0, r * W + x1);
  x0 >>= 1;
  y0 >>= 1;
  x1 = (x1 + 1) >> 1;
  y1 = (y1 + 1) >> 1;
  const CW = W >> 1;
  for (let r = y0; r < y1; r++) {
    f.u.fill(c.u, r * CW + x0, r * CW + x1);
    f.v.fill(c.v, r * CW + x0, r * CW + x1);
  }
}
