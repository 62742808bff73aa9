/** An MSB-first bit writer for RBSP (raw byte sequence payload) building. */
export class BitWriter {
  buf: Buffer;
  /** bytes complete */
  pos = 0;
  /** pending bits, MSB first, `nbits` of them (< 8) */
  private cur = 0;
  private nbits = 0;

  constructor(capacity = 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  reset(): void {
    this.pos = 0;
    this.cur = 0;
    this.nbits = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n + 8 <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 1024));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes the low `n` bits of `value` (n <= 32). */
  u(n: number, value: number): void {
    if (n > 24) {
      this.u(n - 16, Math.floor(value / 65536));
      this.u(16, value & 0xffff);
      return;
    }
    this.ensure(4);
    this.cur = (this.cur << n) | (value & ((1 << n) - 1));
    this.nbits += n;
    while (this.nbits >= 8) {
      this.nbits -= 8;
      this.buf[this.pos++] = (this.cur >>> this.nbits) & 0xff;
    }
    this.cur &= (1 << this.nbits) - 1;
  }

  flag(b: boolean | number): void {
    this.u(1, b ? 1 : 0);
  }

  /** Exp-Golomb unsigned. */
  ue(value: number): void {
    const v = value + 1;
    const len = 32 - Math.clz32(v);
    if (len > 1) this.u(len - 1, 0);
    this.u(len, v);
  }

  /** Exp-Golomb signed. */
  se(value: number): void {
    this.ue(value <= 0 ? -2 * value : 2 * value - 1);
  }

  get aligned(): boolean {
    return this.nbits === 0;
  }

  /** Zero bits up to the next byte boundary (pcm_alignment_zero_bit, cabac alignment). */
  alignZero(): void {
    if (this.nbits) this.u(8 - this.nbits, 0);
  }

  /** rbsp_trailing_bits: a one bit, then zero bits to the byte boundary. */
  trailing(): void {
    this.u(1, 1);
    this.alignZero();
  }

  /** The RBSP written so far (a view; copy it before the next reset). */
  bytes(): Buffer {
    if (this.nbits) throw new Error('BitWriter: not byte aligned');
    return this.buf.subarray(0, this.pos);
  }
}
