#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for FUZZ_SECONDS
# (default 60), one after the other. Fails on any finding; the crashing input is left in
# native/fuzz/artifacts/<target>/ — copy it to native/fuzz/regressions/<target>/ once fixed
# (ctest replays that folder in `npm test`). FUZZ_TARGETS narrows the list; FUZZ_JOBS runs
# several processes per target (default 1: the machine is shared).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-h264 mp4_reader store_recovery aac}"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"  # build-*/ is ignored by git

cxx="$(command -v clang++ || command -v clang++-16 || command -v clang++-14 || true)"
cc="$(command -v clang || command -v clang-16 || command -v clang-14 || true)"
if [[ -z "$cxx" ]]; then
  echo "fuzz: clang is missing: apt-get install -y clang libclang-rt-14-dev" >&2
  exit 2
fi
CC="$cc" CXX="$cxx" cmake -S "$root" -B "$build" -G Ninja -DRINGCLIP_FUZZ=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null

# The corpus: committed seeds + seeds generated from the fixtures and engine output.
if [[ ! -d "$here/corpus" ]]; then
  if [[ -f "$root/dist/index.js" ]]; then node "$here/make-seeds.mjs" || echo "fuzz: corpus generation failed, using committed seeds only" >&2
  else echo "fuzz: dist/ not built (npx tsc -p tsconfig.json): using committed seeds only" >&2; fi
fi

status=0
summary=""
for t in $targets; do
  bin="$build/fuzz_$t"
  corpus="$here/corpus/$t"
  mkdir -p "$corpus" "$here/artifacts/$t" "$here/regressions/$t"
  # Regressions first: every saved crashing input must pass.
  if ! "$bin" -runs=0 "$here/regressions/$t" "$here/seeds/$t" >"$here/artifacts/$t/replay.log" 2>&1; then
    echo "fuzz: $t: a regression input fails again (see artifacts/$t/replay.log)" >&2
    status=1
    continue
  fi
  case "$t" in h264) maxlen=16384 ;; mp4_reader) maxlen=131072 ;; *) maxlen=1200000 ;; esac
  log="$here/artifacts/$t/fuzz.log"
  echo "fuzz: $t for ${seconds}s"
  set +e
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len="$maxlen" -print_final_stats=1 \
    -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" \
    -artifact_prefix="$here/artifacts/$t/" "$corpus" "$here/seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')"
  summary+="$t: ${runs} executions in ${seconds}s, coverage ${cov:-?} edges, exit $rc"$'\n'
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $t FOUND A PROBLEM (exit $rc):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20 >&2
    status=1
  fi
done
printf '%s' "$summary" | tee "$here/artifacts/summary.txt"
exit $status
