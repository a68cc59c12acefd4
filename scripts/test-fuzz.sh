#!/usr/bin/env bash
# npm run test:fuzz: the randomised API fuzzer (scripts/fuzz-api.mjs) against the ASan+UBSan build of the addon,
# once per backend. Node itself is not sanitized: gcc's libasan is preloaded. A sanitizer report, a crash, a hang
# or an invariant failure fails that backend's run. Ends with "N passed, N failed" (one count per backend);
# OSMO_TEST_COUNTS=<file>: also appends "passed failed" there (see scripts/test.sh, .ci/run).
#   FUZZ_SECONDS (default 60) per backend, FUZZ_SEED (default: random, printed), FUZZ_ARGS: more fuzzer options,
#   FUZZ_BACKENDS (default "poll io_uring").
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) ))}
passed=0 failed=0

finish() {
  [ -n "${OSMO_TEST_COUNTS:-}" ] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

echo "== build (TypeScript + ASan/UBSan addon)"
if ! npx tsc -b || ! node packages/io/scripts/build-asan.mjs; then failed=1; finish; fi
libasan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then echo "!! gcc's libasan.so not found"; failed=1; finish; fi

for be in ${FUZZ_BACKENDS:-poll io_uring}; do
  echo "== fuzz-api, OSMO_IO_BACKEND=$be, ${secs} s, seed $seed"
  log=$(mktemp)
  # detect_leaks=0: V8 and Node keep memory until exit; halt_on_error / -fno-sanitize-recover: first report is fatal
  LD_PRELOAD=$libasan \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87 \
  OSMO_IO_ADDON=packages/io/build-asan/osmo_io.node OSMO_IO_BACKEND=$be \
    timeout --kill-after=10 $((secs + 120)) node scripts/fuzz-api.mjs --seconds "$secs" --seed "$seed" ${FUZZ_ARGS:-} \
    2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ] && grep -q "fuzz-api: $be OK" "$log" && ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    case $rc in
      86) why="AddressSanitizer report" ;; 87) why="UBSan report" ;; 124|137) why="hang (no exit after ${secs} s + 120 s)" ;;
      1) why="invariant failure" ;; *) why="exit status $rc" ;;
    esac
    grep -qE 'runtime error:' "$log" && why="UBSan report"
    echo "!! fuzz-api ($be, seed $seed): $why"
  fi
  rm -f "$log"
done
finish
