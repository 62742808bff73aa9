// camm packets (lib/camm.ts): the bytes of known packets worked out by hand from the
// specification's layout, round trips of every type, and the errors for bad input.
import { describe, expect, it } from 'vitest';
import {
  cammPacketSize,
  decodeCamm,
  encodeCamm,
  gpsEpochSeconds,
  InvalidArgumentError,
  InvalidDataError,
  unixMicrosFromGps,
  type CammPacket,
} from '../lib/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('camm packets', () => {
  it('lays out an accelerometer packet as reserved, type, then three little-endian floats', () => {
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, 0.5f = 0x3f000000, each little-endian.
    const bytes = encodeCamm({ type: 3, acceleration: [1, -2, 0.5] });
    expect(hex(bytes)).toBe('0000' + '0300' + '0000803f' + '000000c0' + '0000003f');
  });

  it('lays out a GPS packet (type 6): doubles, an int32 fix and seven floats, unaligned, 60 bytes', () => {
    const bytes = encodeCamm({
      type: 6,
      timeGpsEpoch: 1,
      gpsFixType: 3,
      latitude: 2,
      longitude: -1,
      altitude: 0.5,
      horizontalAccuracy: 1,
      verticalAccuracy: 2,
      velocityEast: 0,
      velocityNorth: -0.5,
      velocityUp: 0,
      speedAccuracy: 0.25,
    });
    expect(bytes.length).toBe(60);
    expect(hex(bytes)).toBe(
      '0000' +
        '0600' +
        '000000000000f03f' + // time 1.0 (double 0x3ff0000000000000)
        '03000000' + // fix 3
        '0000000000000040' + // latitude 2.0
        '000000000000f0bf' + // longitude -1.0
        '0000003f' + // altitude 0.5f
        '0000803f' + // horizontal accuracy 1.0f
        '00000040' + // vertical accuracy 2.0f
        '00000000' + // east 0
        '000000bf' + // north -0.5f
        '00000000' + // up 0
        '0000803e', // speed accuracy 0.25f
    );
  });

  it('round-trips every type (floats as float32, integers exactly)', () => {
    const f = Math.fround;
    const packets: CammPacket[] = [
      { type: 0, angleAxis: [f(0.1), f(-0.2), f(3.14159)] },
      { type: 1, pixelExposureTime: 33_000_000, rollingShutterSkewTime: -2_147_483_648 },
      { type: 2, gyro: [f(0.01), 0, f(-1.5)] },
      { type: 3, acceleration: [f(-3.9), f(0.2), f(9.80665)] },
      { type: 4, position: [12, f(-0.75), 100] },
      { type: 5, latitude: 48.858093, longitude: 2.294694, altitude: 35.25 },
      {
        type: 6,
        timeGpsEpoch: gpsEpochSeconds(1_772_438_400_123_456),
        gpsFixType: 3,
        latitude: 48.85809312345,
        longitude: 2.29469412345,
        altitude: f(35.7),
        horizontalAccuracy: f(2.5),
        verticalAccuracy: f(4),
        velocityEast: f(13.2),
        velocityNorth: f(-4.1),
        velocityUp: f(0.05),
        speedAccuracy: f(0.3),
      },
      { type: 7, magneticField: [f(22.5), f(-5), f(41)] },
    ];
    for (const p of packets) {
      const bytes = encodeCamm(p);
      expect(bytes.length).toBe(cammPacketSize(p.type));
      expect(decodeCamm(bytes)).toEqual(p);
    }
  });

  it('decodes a packet that sits inside a larger buffer (a view into a sample)', () => {
    const whole = new Uint8Array(64);
    whole.set(encodeCamm({ type: 3, acceleration: [0, 0, 1] }), 8);
    expect(decodeCamm(whole.subarray(8, 24))).toEqual({ type: 3, acceleration: [0, 0, 1] });
  });

  it('converts capture times to GPS-epoch seconds and back to the microsecond', () => {
    // 2026-03-02T08:00:00Z: 1_772_438_400 s Unix, minus the GPS epoch, plus 18 leap seconds.
    expect(gpsEpochSeconds(1_772_438_400_000_000)).toBe(1_772_438_400 - 315_964_800 + 18);
    for (const us of [1_772_438_400_000_000, 1_772_438_400_123_457, 315_964_800_000_000])
      expect(unixMicrosFromGps(gpsEpochSeconds(us))).toBe(us);
  });

  it('refuses packets it cannot encode, naming the field', () => {
    const bad = (p: unknown) => () => encodeCamm(p as CammPacket);
    expect(bad(null)).toThrow(InvalidArgumentError);
    expect(bad({ type: 8 })).toThrow(/camm type must be an integer from 0 to 7, got 8/);
    expect(bad({ type: 1.5 })).toThrow(/got 1.5/);
    expect(bad({ type: 3, acceleration: [1, 2] })).toThrow(/acceleration must be an array of 3 numbers/);
    expect(bad({ type: 3, acceleration: [1, 2, Number.NaN] })).toThrow(/acceleration must be a finite number, got NaN/);
    expect(bad({ type: 5, latitude: 1, longitude: '2', altitude: 0 })).toThrow(/longitude must be a finite number/);
    expect(bad({ type: 1, pixelExposureTime: 2 ** 31, rollingShutterSkewTime: 0 })).toThrow(
      /pixelExposureTime must be a 32-bit integer, got 2147483648/,
    );
    expect(bad({ type: 1, pixelExposureTime: 0.5, rollingShutterSkewTime: 0 })).toThrow(/32-bit integer/);
    expect(() => cammPacketSize(-1)).toThrow(InvalidArgumentError);
  });

  it('refuses bytes that are not a camm packet, saying why', () => {
    const accel = encodeCamm({ type: 3, acceleration: [0, 0, 1] });
    expect(() => decodeCamm(accel.subarray(0, 3))).toThrow(/at least 4 bytes, got 3/);
    expect(() => decodeCamm(accel.subarray(0, 15))).toThrow(/type 3 packet has 16 bytes, got 15/);
    expect(() => decodeCamm(new Uint8Array([...accel, 0]))).toThrow(InvalidDataError);
    expect(() => decodeCamm(new Uint8Array([0, 0, 9, 0]))).toThrow(/unknown camm packet type 9/);
    expect(() => decodeCamm(new Uint8Array([1, 0, 3, 0, ...accel.subarray(4)]))).toThrow(
      /reserved zero bytes, got 0x1/,
    );
    expect(() => decodeCamm([0, 0, 3, 0] as unknown as Uint8Array)).toThrow(InvalidArgumentError);
  });
});
