/**
 * Camera Motion Metadata (`camm`): Google's timed-metadata format for motion and location
 * samples in MP4 (the Street View "camm" specification). Each metadata sample is one packet,
 * little-endian: `uint16 reserved (0); uint16 type;` then the type's fields. ringclip stores
 * these packets as they are (a metadata stream with format 'camm'); this module builds and
 * reads them so a device, the cloud and tests agree on the bytes.
 *
 * Why camm: it is a published format that stock tools (exiftool, ffprobe's data track) read,
 * it carries GPS with velocity and accelerometer samples in one track, and every sample is
 * self-describing, so a clip cut at any sample is still valid.
 */
import { InvalidArgumentError, InvalidDataError } from './errors.js';

/** Three floats: x, y, z in the sensor's frame. */
export type CammVector = [number, number, number];

/** One camm packet, by type. Units follow the specification. */
export type CammPacket =
  /** orientation as an angle-axis vector (radians, axis scaled by the angle) */
  | { type: 0; angleAxis: CammVector }
  /** exposure: pixel exposure time and rolling shutter skew, nanoseconds (int32) */
  | { type: 1; pixelExposureTime: number; rollingShutterSkewTime: number }
  /** gyroscope: rad/s */
  | { type: 2; gyro: CammVector }
  /** accelerometer: m/s² (gravity included) */
  | { type: 3; acceleration: CammVector }
  /** position relative to the start: metres */
  | { type: 4; position: CammVector }
  /** minimal GPS: degrees, degrees, metres above the WGS-84 ellipsoid */
  | { type: 5; latitude: number; longitude: number; altitude: number }
  /** GPS with time, fix, accuracy and velocity (m/s east, north, up) */
  | {
      type: 6;
      /** seconds since the GPS epoch (1980-01-06T00:00:00Z, no leap seconds): see gpsEpochSeconds() */
      timeGpsEpoch: number;
      /** 0: no fix, 2: 2D, 3: 3D */
      gpsFixType: number;
      latitude: number;
      longitude: number;
      altitude: number;
      horizontalAccuracy: number;
      verticalAccuracy: number;
      velocityEast: number;
      velocityNorth: number;
      velocityUp: number;
      speedAccuracy: number;
    }
  /** magnetometer: microtesla */
  | { type: 7; magneticField: CammVector };

export type CammType = CammPacket['type'];

/** The sample entry fourcc of a camm metadata track (what `writeMetadata` takes as `format`). */
export const CAMM_FORMAT = 'camm';

/** Bytes of each packet type, header (4 bytes) included. */
const SIZES: readonly number[] = [16, 12, 16, 16, 16, 28, 60, 16];

/** The size in bytes of a camm packet of `type`, header included. */
export function cammPacketSize(type: number): number {
  const size = Number.isInteger(type) ? SIZES[type] : undefined;
  if (size === undefined)
    throw new InvalidArgumentError(`camm type must be an integer from 0 to 7, got ${String(type)}`);
  return size;
}

// Unix time of the GPS epoch, and GPS − UTC: GPS time has no leap seconds, so since
// 2017-01-01 it runs 18 s ahead of UTC (no leap second has been announced since).
const GPS_EPOCH_UNIX_SECONDS = 315_964_800;
const GPS_LEAP_SECONDS = 18;

/** camm's `timeGpsEpoch` (seconds since the GPS epoch) of a capture time in µs since the Unix epoch. */
export function gpsEpochSeconds(unixUs: number): number {
  return unixUs / 1e6 - GPS_EPOCH_UNIX_SECONDS + GPS_LEAP_SECONDS;
}

/** The capture time (µs since the Unix epoch, rounded) of camm's `timeGpsEpoch`. */
export function unixMicrosFromGps(timeGpsEpoch: number): number {
  return Math.round((timeGpsEpoch + GPS_EPOCH_UNIX_SECONDS - GPS_LEAP_SECONDS) * 1e6);
}

type Field = [name: string, kind: 'f32' | 'f64' | 'i32'];

// The fields after the 4-byte header, in order. Vectors are listed as one field of 3 floats.
const FIELDS: Record<CammType, Field[]> = {
  0: [['angleAxis', 'f32']],
  1: [
    ['pixelExposureTime', 'i32'],
    ['rollingShutterSkewTime', 'i32'],
  ],
  2: [['gyro', 'f32']],
  3: [['acceleration', 'f32']],
  4: [['position', 'f32']],
  5: [
    ['latitude', 'f64'],
    ['longitude', 'f64'],
    ['altitude', 'f64'],
  ],
  6: [
    ['timeGpsEpoch', 'f64'],
    ['gpsFixType', 'i32'],
    ['latitude', 'f64'],
    ['longitude', 'f64'],
    ['altitude', 'f32'],
    ['horizontalAccuracy', 'f32'],
    ['verticalAccuracy', 'f32'],
    ['velocityEast', 'f32'],
    ['velocityNorth', 'f32'],
    ['velocityUp', 'f32'],
    ['speedAccuracy', 'f32'],
  ],
  7: [['magneticField', 'f32']],
};

const VECTORS = new Set(['angleAxis', 'gyro', 'acceleration', 'position', 'magneticField']);
const WIDTH = { f32: 4, f64: 8, i32: 4 } as const;

/** Encodes one camm packet (little-endian). Throws InvalidArgumentError naming a missing or bad field. */
export function encodeCamm(packet: CammPacket): Uint8Array {
  if (packet === null || typeof packet !== 'object')
    throw new InvalidArgumentError('a camm packet is an object with a type');
  const size = cammPacketSize(packet.type);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(2, packet.type, true);
  const values = packet as unknown as Record<string, unknown>;
  let at = 4;
  for (const [name, kind] of FIELDS[packet.type]) {
    const value = values[name];
    const numbers = VECTORS.has(name) ? vector(value, packet.type, name) : [value];
    for (const v of numbers) {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new InvalidArgumentError(`camm type ${packet.type}: ${name} must be a finite number, got ${String(v)}`);
      if (kind === 'i32') {
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
          throw new InvalidArgumentError(`camm type ${packet.type}: ${name} must be a 32-bit integer, got ${v}`);
        view.setInt32(at, v, true);
      } else if (kind === 'f32') view.setFloat32(at, v, true);
      else view.setFloat64(at, v, true);
      at += WIDTH[kind];
    }
  }
  return out;
}

function vector(value: unknown, type: number, name: string): unknown[] {
  if (!Array.isArray(value) || value.length !== 3)
    throw new InvalidArgumentError(`camm type ${type}: ${name} must be an array of 3 numbers`);
  return value as unknown[];
}

/** Decodes one camm packet. Throws InvalidDataError for a wrong size, reserved bits or an unknown type. */
export function decodeCamm(bytes: Uint8Array): CammPacket {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('decodeCamm takes a Uint8Array');
  if (bytes.length < 4) throw new InvalidDataError(`a camm packet has at least 4 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reserved = view.getUint16(0, true);
  const type = view.getUint16(2, true);
  if (reserved !== 0)
    throw new InvalidDataError(`a camm packet starts with 2 reserved zero bytes, got 0x${reserved.toString(16)}`);
  if (!(type in FIELDS)) throw new InvalidDataError(`unknown camm packet type ${type} (known: 0 to 7)`);
  const size = SIZES[type]!;
  if (bytes.length !== size)
    throw new InvalidDataError(`a camm type ${type} packet has ${size} bytes, got ${bytes.length}`);
  const packet: Record<string, unknown> = { type };
  let at = 4;
  const read = (kind: Field[1]): number => {
    const v =
      kind === 'i32' ? view.getInt32(at, true) : kind === 'f32' ? view.getFloat32(at, true) : view.getFloat64(at, true);
    at += WIDTH[kind];
    return v;
  };
  for (const [name, kind] of FIELDS[type as CammType]) {
    packet[name] = VECTORS.has(name) ? [read(kind), read(kind), read(kind)] : read(kind);
  }
  return packet as unknown as CammPacket;
}
