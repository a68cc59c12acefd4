#!/usr/bin/env bash
# npm test: build, then every unit/integration suite under BOTH backends, then the C core tests under
# ASan/UBSan. Ends with one line "N passed, N failed"; exits non-zero on any failure.
# OSMO_TEST_COUNTS=<file>: also append "passed failed" there (used by .ci/run to add up all suites).
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0

count_mocha() { # log file -> adds mocha's passing/failing lines
  local p f
  p=$(grep -Eo '^ +[0-9]+ passing' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ +[0-9]+ failing' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ -z "$p" ] && [ -z "$f" ]; then failed=$((failed + 1)); echo "!! $2: mocha printed no summary (crashed?)"; fi
}

echo "== build"
if ! npm run build; then
  echo "0 passed, 1 failed"; [ -n "${OSMO_TEST_COUNTS:-}" ] && echo "0 1" >> "$OSMO_TEST_COUNTS"; exit 1
fi

status=0
for be in poll io_uring; do
  echo "== mocha, OSMO_IO_BACKEND=$be"
  log=$(mktemp)
  OSMO_IO_BACKEND=$be npx mocha "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  count_mocha "$log" "mocha ($be)"
  rm -f "$log"
done

echo "== C core tests (ASan + UBSan, both backends)"
log=$(mktemp)
make -s -C native test 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | awk '{print $1}'))); failed=$((failed + $(echo "$line" | awk '{print $3}')))
else
  failed=$((failed + 1)); echo "!! C tests printed no summary"
fi
rm -f "$log"

[ "$failed" -eq 0 ] || status=1
[ -n "${OSMO_TEST_COUNTS:-}" ] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
echo "$passed passed, $failed failed"
exit $status
