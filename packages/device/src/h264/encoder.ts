/**
 * A synthetic H.264 encoder that needs no codec library: IDR pictures are all I_PCM
 * macroblocks (raw samples, lossless), P pictures are P_Skip macroblocks with I_PCM
 * macroblocks only where the picture changed. Constrained Baseline profile, CAVLC,
 * frame_mbs_only, pic_order_cnt_type 2, 4:2:0 8-bit, deblocking off.
 *
 * Why it is exact: every P_Skip macroblock predicts with motion vector (0,0) — its
 * neighbours are either I_PCM (no motion) or P_Skip with (0,0), so the median predictor
 * is (0,0) by induction — from the previous picture, which decoded to exactly what was
 * rendered; I_PCM carries the samples themselves. So each decoded picture equals the
 * rendered one, bit for bit.
 *
 * With `bFrames: 1` the stream is Main profile (still CAVLC) with one non-reference B
 * picture between reference pictures, so that decode order differs from presentation
 * order the way real cameras' streams do: captured I0 B1 P2 B3 P4, coded I0 P2 B1 P4 B3.
 * pic_order_cnt_type 0 (POC = 2 x the picture's place since the IDR) says the order;
 * max_num_ref_frames 2 keeps both anchors of a B picture; the VUI's max_num_reorder_frames
 * 1 lets players output one picture late instead of waiting for a full DPB.
 * A P picture still predicts from the previous reference picture (P2 from I0: the B
 * picture between is not a reference), so its I_PCM macroblocks are those that changed
 * over two captures. A B picture codes every macroblock explicitly: B_L0_16x16 with
 * mvd (0,0) and no residual (its motion vector predictor is (0,0) for the same reason
 * as P_Skip's), a copy of RefPicList0[0] — the reference picture with the highest POC
 * below its own, i.e. the picture shown just before it — or I_PCM where it differs from
 * that picture. B_Skip and B_Direct_16x16 are avoided: spatial direct prediction would
 * average both anchors. A B picture whose next reference picture would be an IDR (the end
 * of a GOP, a forced key frame, flush()) is coded as a P picture instead: a GOP stays closed.
 */
import type { Rect, YuvFrame } from '../render/frame.js';
import { BitWriter } from './bitwriter.js';
import { NAL, nalBound, writeNal } from './nal.js';

export interface EncoderOptions {
  width: number;
  height: number;
  fps: number;
  /** Pictures per GOP (an IDR every `gop` pictures). */
  gop: number;
  /**
   * Non-reference B pictures between reference pictures: 0 (default: Constrained Baseline,
   * decode order = presentation order) or 1 (Main profile, one picture of reorder delay).
   */
  bFrames?: 0 | 1;
}

const LOG2_MAX_FRAME_NUM = 16;
const LOG2_MAX_POC_LSB = 16;
/** mb_type of I_PCM in I, P and B slices (Tables 7-11, 7-13, 7-14: intra types follow the inter ones). */
const I_PCM = { I: 25, P: 5 + 25, B: 23 + 25 } as const;
/** Bytes of one I_PCM macroblock's samples (4:2:0, 8-bit). */
const PCM_BYTES = 384;
const LEVELS: Array<[number, number, number]> = [
  // level_idc, MaxFS (MBs), MaxMBPS
  [10, 99, 1485],
  [11, 396, 3000],
  [12, 396, 6000],
  [13, 396, 11880],
  [20, 396, 11880],
  [21, 792, 19800],
  [22, 1620, 20250],
  [30, 1620, 40500],
  [31, 3600, 108000],
  [32, 5120, 216000],
  [40, 8192, 245760],
  [42, 8704, 522240],
  [50, 22080, 589824],
  [51, 36864, 983040],
  [52, 36864, 2073600],
];

export function levelFor(mbs: number, fps: number): number {
  for (const [idc, fs, mbps] of LEVELS) if (mbs <= fs && mbs * fps <= mbps) return idc;
  return 52;
}

export interface EncodedPicture {
  /** The access unit in Annex B (parameter sets before every IDR). */
  data: Buffer;
  idr: boolean;
  type: 'I' | 'P' | 'B';
  /**
   * It shows the frame given to the encode() call before the one that returned it (a B
   * picture, or a picture held for one and coded as P), not that call's frame.
   */
  previous: boolean;
  /** Macroblocks coded as I_PCM. */
  pcmMacroblocks: number;
}

/** A frame held back to be coded after the next reference picture. */
interface Held {
  /** Macroblocks (raster order) that differ from the reference picture shown before it. */
  changed: Int32Array;
  /** Their samples, PCM_BYTES each, in I_PCM order. */
  samples: Uint8Array;
  dirty: Rect[] | 'all';
  /** Its place in the GOP (for its POC). */
  index: number;
}

export class SyntheticH264Encoder {
  readonly options: EncoderOptions;
  readonly mbw: number;
  readonly mbh: number;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly level: number;
  readonly sps: Buffer;
  readonly pps: Buffer;
  /** What the decoder holds as its reference picture (coded size). */
  private refY: Uint8Array;
  private refU: Uint8Array;
  private refV: Uint8Array;
  private frameIndex = 0;
  private frameNum = 0;
  private idrCount = 0;
  private bw = new BitWriter(64 * 1024);
  private changed: Uint8Array;
  private block32 = new Uint32Array(96);
  private block8 = new Uint8Array(this.block32.buffer);
  private refY32: Uint32Array;
  private refU32: Uint32Array;
  private refV32: Uint32Array;
  private changedList: Int32Array;
  private readonly bFrames: 0 | 1;
  private held: Held | null = null;

  constructor(options: EncoderOptions) {
    const { width, height, fps, gop } = options;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 16 ||
      height < 16 ||
      width % 2 ||
      height % 2 ||
      width > 4096 ||
      height > 2304
    ) {
      throw new RangeError(`encoder size must be even, from 16x16 to 4096x2304, got ${width}x${height}`);
    }
    if (!(fps > 0 && fps <= 240)) throw new RangeError(`encoder fps must be from 0 to 240, got ${fps}`);
    if (!Number.isInteger(gop) || gop < 1 || gop > 65535)
      throw new RangeError(`gop must be 1 to 65535 pictures, got ${gop}`);
    const bFrames = options.bFrames ?? 0;
    if (bFrames !== 0 && bFrames !== 1) throw new RangeError(`bFrames must be 0 or 1, got ${String(bFrames)}`);
    this.bFrames = bFrames;
    this.options = { ...options };
    this.mbw = Math.ceil(width / 16);
    this.mbh = Math.ceil(height / 16);
    this.codedWidth = this.mbw * 16;
    this.codedHeight = this.mbh * 16;
    this.level = levelFor(this.mbw * this.mbh, fps);
    this.refY = new Uint8Array(this.codedWidth * this.codedHeight);
    this.refU = new Uint8Array(this.refY.length / 4);
    this.refV = new Uint8Array(this.refY.length / 4);
    this.refY32 = new Uint32Array(this.refY.buffer);
    this.refU32 = new Uint32Array(this.refU.buffer);
    this.refV32 = new Uint32Array(this.refV.buffer);
    this.changed = new Uint8Array(this.mbw * this.mbh);
    this.changedList = new Int32Array(this.mbw * this.mbh);
    this.sps = this.buildSps();
    this.pps = this.buildPps();
  }

  private buildSps(): Buffer {
    const { width, height, fps } = this.options;
    const b = new BitWriter(64);
    const main = this.bFrames > 0;
    if (main) {
      b.u(8, 77); // profile_idc: Main (B slices; CAVLC is allowed)
      b.u(8, 0x40); // constraint_set1 (obeys Main's constraints), reserved zeros
    } else {
      b.u(8, 66); // profile_idc: Baseline
      b.u(8, 0xc0); // constraint_set0 + constraint_set1 (Constrained Baseline), reserved zeros
    }
    b.u(8, this.level);
    b.ue(0); // seq_parameter_set_id
    b.ue(LOG2_MAX_FRAME_NUM - 4);
    if (main) {
      b.ue(0); // pic_order_cnt_type 0: pic_order_cnt_lsb in every slice header
      b.ue(LOG2_MAX_POC_LSB - 4);
      b.ue(2); // max_num_ref_frames: both anchors of a B picture
    } else {
      b.ue(2); // pic_order_cnt_type 2: output order = decode order
      b.ue(1); // max_num_ref_frames
    }
    b.flag(0); // gaps_in_frame_num_value_allowed_flag
    b.ue(this.mbw - 1);
    b.ue(this.mbh - 1);
    b.flag(1); // frame_mbs_only_flag
    b.flag(1); // direct_8x8_inference_flag
    const cropRight = (this.codedWidth - width) / 2,
      cropBottom = (this.codedHeight - height) / 2;
    if (cropRight || cropBottom) {
      b.flag(1);
      b.ue(0);
      b.ue(cropRight);
      b.ue(0);
      b.ue(cropBottom);
    } else b.flag(0);
    b.flag(1); // vui_parameters_present_flag
    b.flag(0); // aspect_ratio_info_present_flag
    b.flag(0); // overscan_info_present_flag
    b.flag(0); // video_signal_type_present_flag
    b.flag(0); // chroma_loc_info_present_flag
    b.flag(1); // timing_info_present_flag
    const units = 1000,
      scale = Math.round(fps * 2000);
    b.u(32, units); // num_units_in_tick
    b.u(32, scale); // time_scale (two ticks per frame)
    b.flag(1); // fixed_frame_rate_flag
    b.flag(0); // nal_hrd_parameters_present_flag
    b.flag(0); // vcl_hrd_parameters_present_flag
    b.flag(0); // pic_struct_present_flag
    b.flag(1); // bitstream_restriction_flag
    b.flag(1); // motion_vectors_over_pic_boundaries_flag
    b.ue(0);
    b.ue(0); // max_bytes_per_pic_denom, max_bits_per_mb_denom
    b.ue(16);
    b.ue(16); // log2_max_mv_length_horizontal/vertical
    b.ue(main ? 1 : 0); // max_num_reorder_frames
    b.ue(main ? 2 : 1); // max_dec_frame_buffering
    b.trailing();
    return Buffer.from(b.bytes());
  }

  private buildPps(): Buffer {
    const b = new BitWriter(16);
    b.ue(0); // pic_parameter_set_id
    b.ue(0); // seq_parameter_set_id
    b.flag(0); // entropy_coding_mode_flag: CAVLC
    b.flag(0); // bottom_field_pic_order_in_frame_present_flag
    b.ue(0); // num_slice_groups_minus1
    b.ue(0);
    b.ue(0); // num_ref_idx_l0/l1_default_active_minus1
    b.flag(0); // weighted_pred_flag
    b.u(2, 0); // weighted_bipred_idc
    b.se(0);
    b.se(0);
    b.se(0); // pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
    b.flag(1); // deblocking_filter_control_present_flag
    b.flag(0); // constrained_intra_pred_flag
    b.flag(0); // redundant_pic_cnt_present_flag
    b.trailing();
    return Buffer.from(b.bytes());
  }

  /** True when the next picture will be an IDR. */
  get nextIsIdr(): boolean {
    return this.frameIndex % this.options.gop === 0;
  }

  /**
   * Encodes the next frame and returns the pictures it completes, in decode order: one, or
   * with B-frames none (the frame is held to be a B picture) or two (a reference picture,
   * then the held picture shown before it). `dirty` lists the areas the renderer may have
   * changed since the previous frame (ignored for IDR pictures); everything else must be
   * unchanged. Macroblocks in them whose samples really differ from the reference are coded
   * I_PCM. `allowB` false codes this frame as a reference picture (a timelapse: every
   * picture is shown on its own).
   */
  encode(frame: YuvFrame, dirty: Rect[] | 'all' = 'all', forceIdr = false, allowB = true): EncodedPicture[] {
    if (frame.codedWidth !== this.codedWidth || frame.codedHeight !== this.codedHeight) {
      throw new RangeError(
        `frame is ${frame.codedWidth}x${frame.codedHeight} coded, the encoder ${this.codedWidth}x${this.codedHeight}`,
      );
    }
    if (forceIdr || this.nextIsIdr) {
      // The held frame cannot be a B picture after an IDR (which empties the decoder's references).
      const out = this.release(true);
      out.push(this.codeIdr(frame));
      return out;
    }
    const index = this.frameIndex++;
    const held = this.held;
    if (this.bFrames && allowB && !held && index % 2 === 1 && index + 1 < this.options.gop) {
      this.hold(frame, dirty, index);
      return [];
    }
    if (!held) return [this.codeP(frame, dirty, index)];
    this.held = null;
    // P predicts from the reference before the held frame: what changed over both frames.
    const both = held.dirty === 'all' || dirty === 'all' ? 'all' : [...held.dirty, ...dirty];
    return [this.codeP(frame, both, index), this.codeB(held)];
  }

  /**
   * Codes a held frame, if any, as a P picture: before a stop, or a change of rate. It shows
   * the frame of the last encode() call (`previous` false).
   */
  flush(): EncodedPicture[] {
    return this.release(false);
  }

  private release(previous: boolean): EncodedPicture[] {
    const held = this.held;
    if (!held) return [];
    this.held = null;
    return [
      this.codeChangedP(held.index, held.changed, previous, (b, k, mb) => {
        this.pcmFromHeld(b, held.samples, k);
        this.heldToRef(held.samples, k, mb);
      }),
    ];
  }

  private codeIdr(frame: YuvFrame): EncodedPicture {
    this.frameIndex = 1;
    this.frameNum = 0;
    const b = this.startSlice('I', 0);
    const total = this.mbw * this.mbh;
    b.ensure(total * (PCM_BYTES + 6));
    for (let mb = 0; mb < total; mb++) {
      b.ue(I_PCM.I);
      this.pcm(b, frame, mb);
    }
    this.refY.set(frame.y);
    this.refU.set(frame.u);
    this.refV.set(frame.v);
    return this.finish('I', false, total);
  }

  private codeP(frame: YuvFrame, dirty: Rect[] | 'all', index: number): EncodedPicture {
    return this.codeChangedP(index, this.findChanged(frame, dirty), false, (b, _k, mb) => {
      this.pcm(b, frame, mb);
      this.copyToRef(frame, mb);
    });
  }

  /**
   * A P picture: P_Skip everywhere but the macroblocks of `list` (in raster order), each
   * I_PCM with the samples `code` writes (which also updates the reference picture).
   */
  private codeChangedP(
    index: number,
    list: Int32Array,
    previous: boolean,
    code: (b: BitWriter, k: number, mb: number) => void,
  ): EncodedPicture {
    const b = this.startSlice('P', index);
    const total = this.mbw * this.mbh;
    b.ensure(list.length * (PCM_BYTES + 6) + 16);
    let prev = -1;
    for (let k = 0; k < list.length; k++) {
      const mb = list[k]!;
      b.ue(mb - prev - 1); // mb_skip_run
      b.ue(I_PCM.P);
      code(b, k, mb);
      prev = mb;
    }
    if (prev < total - 1) b.ue(total - 1 - prev);
    return this.finish('P', previous, list.length);
  }

  /** Keeps what a B picture of `frame` needs: its changed macroblocks and their samples. */
  private hold(frame: YuvFrame, dirty: Rect[] | 'all', index: number): void {
    const changed = this.findChanged(frame, dirty).slice();
    const samples = new Uint8Array(changed.length * PCM_BYTES);
    for (let k = 0; k < changed.length; k++) {
      this.gather(frame, changed[k]!);
      samples.set(this.block8, k * PCM_BYTES);
    }
    this.held = { changed, samples, dirty: dirty === 'all' ? 'all' : dirty.map((r) => ({ ...r })), index };
  }

  private codeB(held: Held): EncodedPicture {
    const b = this.startSlice('B', held.index);
    const total = this.mbw * this.mbh;
    const list = held.changed;
    b.ensure(list.length * (PCM_BYTES + 6) + total + 16);
    let k = 0;
    for (let mb = 0; mb < total; mb++) {
      if (k < list.length && list[k] === mb) {
        b.ue(0); // mb_skip_run
        b.ue(I_PCM.B);
        this.pcmFromHeld(b, held.samples, k++);
      } else {
        // mb_skip_run 0 (1), mb_type B_L0_16x16 (010), mvd_l0 (0,0) (1, 1), coded_block_pattern
        // 0 (1: codeNum 0 of an inter macroblock); no ref_idx_l0 with one entry in RefPicList0.
        b.u(7, 0b1010111);
      }
    }
    return this.finish('B', true, list.length);
  }

  /** Resets the bit writer and writes the slice header of a picture of `kind` at GOP place `index`. */
  private startSlice(kind: 'I' | 'P' | 'B', index: number): BitWriter {
    const b = this.bw;
    b.reset();
    b.ue(0); // first_mb_in_slice
    b.ue(kind === 'I' ? 7 : kind === 'P' ? 5 : 6); // slice_type (+5: all slices of the picture alike)
    b.ue(0); // pic_parameter_set_id
    b.u(LOG2_MAX_FRAME_NUM, this.frameNum);
    if (kind === 'I') b.ue(this.idrCount++ & 0xffff); // idr_pic_id (every I picture is an IDR)
    if (this.bFrames) b.u(LOG2_MAX_POC_LSB, (2 * index) % (1 << LOG2_MAX_POC_LSB)); // pic_order_cnt_lsb
    if (kind === 'B') b.flag(1); // direct_spatial_mv_pred_flag (no direct macroblock is coded)
    if (kind !== 'I') {
      b.flag(0); // num_ref_idx_active_override_flag: the PPS's one entry per list
      b.flag(0); // ref_pic_list_modification_flag_l0
      if (kind === 'B') b.flag(0); // ref_pic_list_modification_flag_l1
    }
    // dec_ref_pic_marking, in reference pictures only (B pictures have nal_ref_idc 0)
    if (kind === 'I') {
      b.flag(0);
      b.flag(0);
    } // no_output_of_prior_pics_flag, long_term_reference_flag
    else if (kind === 'P') b.flag(0); // adaptive_ref_pic_marking_mode_flag: sliding window
    b.se(0); // slice_qp_delta
    b.ue(1); // disable_deblocking_filter_idc: off (I_PCM and copies stay exact)
    return b;
  }

  /** The slice written so far as an access unit; frame_num moves on after a reference picture. */
  private finish(kind: 'I' | 'P' | 'B', previous: boolean, pcmMacroblocks: number): EncodedPicture {
    const b = this.bw;
    b.trailing();
    const rbsp = b.bytes();
    const idr = kind === 'I';
    const out = Buffer.allocUnsafe(
      nalBound(rbsp.length) + (idr ? nalBound(this.sps.length) + nalBound(this.pps.length) : 0),
    );
    let at = 0;
    if (idr) {
      at = writeNal(out, at, 3, NAL.SPS, this.sps);
      at = writeNal(out, at, 3, NAL.PPS, this.pps);
    }
    at = writeNal(out, at, idr ? 3 : kind === 'P' ? 2 : 0, idr ? NAL.IDR : NAL.SLICE, rbsp);
    if (kind !== 'B') this.frameNum = (this.frameNum + 1) % (1 << LOG2_MAX_FRAME_NUM);
    return { data: out.subarray(0, at), idr, type: kind, previous, pcmMacroblocks };
  }

  /** pcm_alignment_zero_bits, then 256 luma and 2 x 64 chroma samples. */
  private pcm(b: BitWriter, f: YuvFrame, mb: number): void {
    b.alignZero();
    this.gather(f, mb);
    b.buf.set(this.block8, b.pos);
    b.pos += PCM_BYTES;
  }

  /** I_PCM of the k-th changed macroblock of a held frame. */
  private pcmFromHeld(b: BitWriter, samples: Uint8Array, k: number): void {
    b.alignZero();
    b.buf.set(samples.subarray(k * PCM_BYTES, (k + 1) * PCM_BYTES), b.pos);
    b.pos += PCM_BYTES;
  }

  /** A macroblock's samples in I_PCM order (16 luma rows, then 8 rows of Cb and of Cr) into block8. */
  private gather(f: YuvFrame, mb: number): void {
    // Gathered four samples at a time into an aligned block, then one copy into the NAL.
    const mx = mb % this.mbw,
      my = (mb / this.mbw) | 0;
    const W4 = this.codedWidth >> 2,
      CW4 = W4 >> 1;
    const blk = this.block32;
    const Y = f.y32,
      U = f.u32,
      V = f.v32;
    let s = my * 16 * W4 + mx * 4,
      o = 0;
    for (let r = 0; r < 16; r++, s += W4) {
      blk[o++] = Y[s]!;
      blk[o++] = Y[s + 1]!;
      blk[o++] = Y[s + 2]!;
      blk[o++] = Y[s + 3]!;
    }
    s = my * 8 * CW4 + mx * 2;
    for (let r = 0; r < 8; r++, s += CW4) {
      blk[o++] = U[s]!;
      blk[o++] = U[s + 1]!;
    }
    s = my * 8 * CW4 + mx * 2;
    for (let r = 0; r < 8; r++, s += CW4) {
      blk[o++] = V[s]!;
      blk[o++] = V[s + 1]!;
    }
  }

  /** Writes the k-th changed macroblock of a held frame (coded as P) into the reference picture. */
  private heldToRef(samples: Uint8Array, k: number, mb: number): void {
    const mx = mb % this.mbw,
      my = (mb / this.mbw) | 0;
    const W = this.codedWidth,
      CW = W >> 1;
    let o = k * PCM_BYTES;
    let s = my * 16 * W + mx * 16;
    for (let r = 0; r < 16; r++, s += W, o += 16) this.refY.set(samples.subarray(o, o + 16), s);
    s = my * 8 * CW + mx * 8;
    for (let r = 0; r < 8; r++, s += CW, o += 8) this.refU.set(samples.subarray(o, o + 8), s);
    s = my * 8 * CW + mx * 8;
    for (let r = 0; r < 8; r++, s += CW, o += 8) this.refV.set(samples.subarray(o, o + 8), s);
  }

  private copyToRef(f: YuvFrame, mb: number): void {
    const mx = mb % this.mbw,
      my = (mb / this.mbw) | 0;
    const W = this.codedWidth,
      CW = W >> 1;
    const Y = f.y,
      R = this.refY;
    let s = my * 16 * W + mx * 16;
    for (let r = 0; r < 16; r++, s += W) for (let c = 0; c < 16; c++) R[s + c] = Y[s + c]!;
    const U = f.u,
      V = f.v,
      RU = this.refU,
      RV = this.refV;
    s = my * 8 * CW + mx * 8;
    for (let r = 0; r < 8; r++, s += CW) {
      for (let c = 0; c < 8; c++) {
        RU[s + c] = U[s + c]!;
        RV[s + c] = V[s + c]!;
      }
    }
  }

  private differs(f: YuvFrame, mb: number): boolean {
    // Compared four samples at a time: rows of a macroblock start at multiples of 8 bytes.
    const mx = mb % this.mbw,
      my = (mb / this.mbw) | 0;
    const W4 = this.codedWidth >> 2,
      CW4 = W4 >> 1;
    const Y = f.y32,
      R = this.refY32;
    let s = my * 16 * W4 + mx * 4;
    for (let r = 0; r < 16; r++, s += W4) {
      if (Y[s] !== R[s] || Y[s + 1] !== R[s + 1] || Y[s + 2] !== R[s + 2] || Y[s + 3] !== R[s + 3]) return true;
    }
    const U = f.u32,
      V = f.v32,
      RU = this.refU32,
      RV = this.refV32;
    s = my * 8 * CW4 + mx * 2;
    for (let r = 0; r < 8; r++, s += CW4) {
      if (U[s] !== RU[s] || U[s + 1] !== RU[s + 1] || V[s] !== RV[s] || V[s + 1] !== RV[s + 1]) return true;
    }
    return false;
  }

  /** Macroblocks (raster order) inside the dirty areas whose samples changed. */
  private findChanged(f: YuvFrame, dirty: Rect[] | 'all'): Int32Array {
    const mark = this.changed;
    const list = this.changedList;
    const rects = dirty === 'all' ? [{ x: 0, y: 0, w: this.codedWidth, h: this.codedHeight }] : dirty;
    let n = 0;
    for (const r of rects) {
      const x0 = Math.max(0, Math.floor(r.x / 16)),
        y0 = Math.max(0, Math.floor(r.y / 16));
      const x1 = Math.min(this.mbw, Math.ceil((r.x + r.w) / 16)),
        y1 = Math.min(this.mbh, Math.ceil((r.y + r.h) / 16));
      for (let my = y0; my < y1; my++) {
        for (let mx = x0; mx < x1; mx++) {
          const mb = my * this.mbw + mx;
          if (mark[mb]) continue;
          mark[mb] = 1;
          if (this.differs(f, mb)) list[n++] = mb;
        }
      }
    }
    for (const r of rects) {
      const x0 = Math.max(0, Math.floor(r.x / 16)),
        y0 = Math.max(0, Math.floor(r.y / 16));
      const x1 = Math.min(this.mbw, Math.ceil((r.x + r.w) / 16)),
        y1 = Math.min(this.mbh, Math.ceil((r.y + r.h) / 16));
      for (let my = y0; my < y1; my++) mark.fill(0, my * this.mbw + x0, my * this.mbw + Math.max(x0, x1));
    }
    return list.subarray(0, n).sort();
  }
}
