#!/usr/bin/env bash
# The NS-UNITDATA soak at full length: 10,000 PDUs/s over 4 NS-VCs for OSMO_NS_SOAK_S seconds (default 60), none
# lost, none duplicated, in order per NS-VC, under both @osmo/io backends. `npm test` runs the same test for 3 s.
# Ends with "N passed, N failed"; OSMO_TEST_COUNTS=<file>: appends "passed failed".
set -uo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
export OSMO_NS_SOAK_S=${OSMO_NS_SOAK_S:-60}
status=0 passed=0 failed=0
for backend in poll io_uring; do
  echo "== ns soak ${OSMO_NS_SOAK_S} s, OSMO_IO_BACKEND=$backend"
  log="$(mktemp)"
  OSMO_IO_BACKEND=$backend npx mocha --no-config -n import=tsx -n conditions=source --timeout 0 \
    --grep '10,000/s' packages/ns2-udp/test/robustness.test.ts 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  # the grep must have found the test: nothing run is a failure, not a pass
  if [[ "${p:-0}" -eq 0 && -z "$f" ]]; then f=1; status=1; fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  rm -f "$log"
done
[[ -n "${OSMO_TEST_COUNTS:-}" ]] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
echo "$passed passed, $failed failed"
exit $status
