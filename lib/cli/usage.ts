/** Usage text and the usage-error type of the `ringclip` CLI. */
export class UsageError extends Error {}

export const USAGE = `ringclip — loop-recording H.264 store, zero-copy clips and MP4

Usage:
  ringclip create STORE --capacity SIZE [--segment-size SIZE] --stream NAME [--stream NAME ...]
                        [--protect-cap FRACTION] [--flush none|keyframe|DURATION]
  ringclip ingest STORE --stream NAME=FILE.h264 [--stream NAME=FILE.h264 ...] [--fps N] [--start ISO-8601]
  ringclip info   STORE [--json]
  ringclip verify STORE [--json]
  ringclip clip   STORE --from T --to T [--streams road,cabin] [--exact] [--fragmented]
                        [--format mp4|h264] [--allow-partial] -o OUT
  ringclip cut    IN.mp4 --from +S --to +S [--streams road,cabin] [--exact] [--fragmented] -o OUT.mp4
  ringclip demo   [--dir DIR]      record the bundled fixtures into a store and print its info
  ringclip --version | --help

Times T: ISO-8601 (2026-11-26T17:46:05Z) or +SECONDS from the first retained frame.
Sizes: bytes or with a unit (256MiB, 4GiB). Exit status: 0 ok, 1 failed check or bad input, 2 usage error.`;
