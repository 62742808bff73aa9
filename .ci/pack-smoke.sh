#!/usr/bin/env bash
# The package people install: pack it, install the tarball into an empty folder with no
# compiler on PATH, and check that the prebuilt binary loads and works there (create,
# ingest a fixture, clip, ffprobe the clip).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$repo"
ls prebuilds/linux-x64/*.node >/dev/null   # npm run prebuild ran first
tarball="$(npm pack --ignore-scripts --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$work/$tarball")"
if echo "$listing" | grep -E 'package/(test|bench|build|build-[a-z-]+|packages)/|\.h264$|\.ring$' ; then
  echo "pack-smoke: the tarball carries test data or build output (listed above)" >&2
  exit 1
fi

# A PATH with node and npm but no compiler or cmake.
bin="$work/bin"
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(command -v npm)" "$bin/npm"
ln -s "$(command -v npx)" "$bin/npx"
for tool in sh bash env tar gzip; do ln -s "$(command -v $tool)" "$bin/$tool"; done

app="$work/app"
mkdir -p "$app"
cd "$app"
echo '{ "name": "smoke", "version": "1.0.0", "private": true }' > package.json
PATH="$bin" npm install --no-audit --no-fund "$work/$tarball" >/dev/null
PATH="$bin" node - "$repo/test/fixtures/road_1080p30_high_gop30.h264" "$work" <<'JS'
const [fixture, dir] = process.argv.slice(2);
const { createRequire } = require('node:module');
(async () => {
  const { SegmentStore } = await import('ringclip');
  const { createReadStream } = require('node:fs');
  const { pipeline } = require('node:stream/promises');
  const loaded = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('.node'));
  if (!/prebuilds\/linux-x64\//.test(loaded)) throw new Error(`expected the prebuild to load, got ${loaded}`);
  const store = await SegmentStore.create(`${dir}/smoke.ring`, { capacity: '32MiB', segmentSize: '4MiB', streams: ['road'] });
  await pipeline(createReadStream(fixture), store.createWriteStream('road', { fps: 30, start: '2026-01-01T00:00:00Z' }));
  const clip = store.clip({ from: '2026-01-01T00:00:02Z', to: '2026-01-01T00:00:05Z' });
  await clip.writeMP4(`${dir}/smoke.mp4`);
  clip.release();
  await store.close();
  // CommonJS consumers: require() works too.
  const cjs = createRequire(`${process.cwd()}/`)('ringclip');
  if (typeof cjs.SegmentStore !== 'function') throw new Error('require("ringclip") did not give SegmentStore');
  console.log('pack-smoke: prebuild loaded from', loaded.split(' ').pop());
})().catch((e) => { console.error(e); process.exit(1); });
JS
"$repo/node_modules/@ffprobe-installer/linux-x64/ffprobe" -v error -count_frames -select_streams v:0 \
  -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$work/smoke.mp4" | tee "$work/probe.txt"
grep -q '^h264,1920,1080,90$' "$work/probe.txt" || { echo "pack-smoke: unexpected ffprobe result" >&2; exit 1; }
PATH="$bin" npx --no-install ringclip info "$work/smoke.ring" | head -3

# Without a prebuild for the platform, install builds from source (compiler on PATH).
mkdir -p "$work/src" && tar -xzf "$work/$tarball" -C "$work/src"
rm -rf "$work/src/package/prebuilds/linux-x64"
(cd "$work/src" && tar -czf "$work/source-only.tgz" package)
mkdir -p "$work/app2" && cd "$work/app2"
echo '{ "name": "smoke2", "version": "1.0.0", "private": true }' > package.json
npm install --no-audit --no-fund "$work/source-only.tgz" >/dev/null
node -e "import('ringclip').then(() => { const l = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').find((x) => x.endsWith('.node')); if (!/build\\/Release\\//.test(l)) { console.error('expected a source build, got', l); process.exit(1); } console.log('pack-smoke: built from source:', l.split(' ').pop()); })"
echo "pack-smoke: ok"
