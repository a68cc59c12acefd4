#!/usr/bin/env bash
# npm run test:sctp: the kernel-SCTP suites, run inside user-mode Linux (the host kernel may have no SCTP) under
# OSMO_IO_BACKEND=poll and =io_uring, in one boot. Ends with "N passed, N failed"; OSMO_TEST_COUNTS=<file>:
# also appends "passed failed" there (as scripts/test.sh). Where UML cannot run, says "skipped" with the
# reason and counts nothing. A test that skips itself inside UML counts as failed: there SCTP must work.
# SCTP_SPEC=<file>: one spec only; SCTP_BACKENDS="poll": one backend only.
set -uo pipefail
cd "$(dirname "$0")/.."

report() { # passed failed [note]
  [ -n "${OSMO_TEST_COUNTS:-}" ] && echo "$1 $2" >> "$OSMO_TEST_COUNTS"
  echo "$1 passed, $2 failed${3:+ ($3)}"
}

if ! command -v "${UML_BIN:-linux.uml}" >/dev/null 2>&1; then
  echo "test:sctp SKIPPED: user-mode Linux is not installed (apt-get install user-mode-linux); the host kernel's SCTP is not used"
  report 0 0 "skipped: no user-mode-linux"
  exit 0
fi
if [ ! -f packages/io/build/Release/osmo_io.node ]; then
  echo "== build (native addon)"
  npm run build:native >/dev/null || { echo "!! native build failed"; report 0 1; exit 1; }
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== SCTP suites inside user-mode Linux"
UML_ENV="SCTP_SPEC SCTP_BACKENDS NODE_DEBUG" UML_TIMEOUT=${UML_TIMEOUT:-720} \
  bash scripts/uml-run.sh 'sh scripts/sctp-guest.sh' 2>&1 | tee "$log"
vm=${PIPESTATUS[0]}

passed=0 failed=0 status=0
if [ "$vm" -eq 124 ] || [ "$vm" -eq 125 ]; then
  echo "!! the VM did not complete (uml-run exit $vm)"
  failed=$((failed + 1)); status=1
fi
for be in ${SCTP_BACKENDS:-poll io_uring}; do
  if grep -q "^@@sctp $be skipped" "$log"; then
    echo "== $be: SKIPPED ($(grep "^@@sctp $be skipped" "$log" | cut -d' ' -f4-))"
    continue
  fi
  sect=$(sed -n "/^@@sctp $be begin/,/^@@sctp $be end/p" "$log")
  p=$(echo "$sect" | grep -Eo '^ +[0-9]+ passing' | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(echo "$sect" | grep -Eo '^ +[0-9]+ failing' | tail -1 | grep -Eo '[0-9]+' || true)
  k=$(echo "$sect" | grep -Eo '^ +[0-9]+ pending' | tail -1 | grep -Eo '[0-9]+' || true)
  if [ -z "$p$f" ]; then
    echo "!! $be: mocha printed no summary"; failed=$((failed + 1)); status=1; continue
  fi
  echo "== $be: ${p:-0} passing, ${f:-0} failing, ${k:-0} skipped inside UML (counted as failed)"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${k:-0}))
done
[ "$failed" -eq 0 ] || status=1
report "$passed" "$failed"
exit $status
