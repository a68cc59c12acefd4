#!/usr/bin/env bash
# npm test: build, then every unit/integration suite under BOTH backends, then the C core tests under
# ASan/UBSan. Ends with one line "N passed, N failed (E expected: ...)": E counts what should have run, so a
# crash, a file that does not load or a failed hook counts its tests as failed. Exits non-zero on any failure.
# OSMO_TEST_COUNTS=<file>: also append "passed failed" there (used by .ci/run to add up all suites).
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0 pending=0 expected=0
reasons=()   # one line per suite that did not run what it should have; repeated before the closing line
parts=()     # "what: N expected" for the closing line

fail_reason() { reasons+=("$1"); echo "!! $1"; }

# One mocha run under one backend. The expected count comes from a dry-run that loads each spec file on its
# own (scripts/mocha-expect.mjs), so a file that cannot load, a crash, or a failed hook that skips a whole
# suite shows up as failed tests with a reason, never as "0 failed".
run_mocha() { # backend, extra mocha args...
  local be="$1"; shift
  local exp log n p f pe ran missing
  exp=$(mktemp); log=$(mktemp)
  if ! OSMO_IO_BACKEND=$be node --import tsx --conditions=source scripts/mocha-expect.mjs "$exp" "$@" >"$log" 2>&1; then
    cat "$log"
    fail_reason "mocha ($be): could not even list the tests (see above)"
    failed=$((failed + 1)); status=1; rm -f "$exp" "$log"; return
  fi
  n=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).expected)' "$exp")
  local nb=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    fail_reason "mocha ($be): $line"; failed=$((failed + 1)); nb=$((nb + 1)); status=1
  done < <(node -e 'for (const b of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).broken)
    console.log(`${b.file} does not load (${b.error}); its tests are not counted`)' "$exp")
  rm -f "$exp"
  # a file that does not load counts as one expected (and failed) test: its real count is unknown
  expected=$((expected + n + nb)); parts+=("mocha $be $((n + nb))")

  echo "== mocha, OSMO_IO_BACKEND=$be ($n tests expected)"
  OSMO_IO_BACKEND=$be npx mocha "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  pe=$(grep -Eo '^ +[0-9]+ pending' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  if [ -z "$p$f" ]; then
    # no summary: mocha died; what it reported as passed counts, everything else expected failed
    ran=$(grep -c '✔' "$log" || true)
    if [ "$ran" -eq 0 ]; then fail_reason "mocha ($be) crashed before running tests: $n expected tests counted as failed"
    else fail_reason "mocha ($be) crashed after $ran passed tests: the other $((n - ran)) expected tests counted as failed"; fi
    passed=$((passed + ran)); failed=$((failed + (n > ran ? n - ran : 1))); status=1
  else
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); pending=$((pending + ${pe:-0}))
    missing=$((n - ${p:-0} - ${f:-0} - ${pe:-0}))
    if [ "$missing" -gt 0 ]; then
      fail_reason "mocha ($be): $n tests expected, $((n - missing)) reported (a failed hook counts as one): the other $missing did not run (a hook failed or tests were skipped), counted as failed"
      failed=$((failed + missing)); status=1
    fi
  fi
  rm -f "$log"
}

echo "== build"
if ! npm run build; then
  echo "!! the build failed: no test ran"
  echo "0 passed, 1 failed (the build failed; no test ran)"
  [ -n "${OSMO_TEST_COUNTS:-}" ] && echo "0 1" >> "$OSMO_TEST_COUNTS"; exit 1
fi

status=0
for be in poll io_uring; do run_mocha "$be" "$@"; done

echo "== C core tests (ASan + UBSan, both backends)"
log=$(mktemp)
make -s -C native test 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -n "$line" ]; then
  cp=$(echo "$line" | awk '{print $1}'); cf=$(echo "$line" | awk '{print $3}')
  passed=$((passed + cp)); failed=$((failed + cf)); expected=$((expected + cp + cf)); parts+=("C $((cp + cf))")
else
  failed=$((failed + 1)); status=1; fail_reason "C tests printed no summary (the runner crashed or did not build)"
fi
rm -f "$log"

[ "$failed" -eq 0 ] || status=1
[ -n "${OSMO_TEST_COUNTS:-}" ] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
for r in "${reasons[@]}"; do echo "!! $r"; done
detail="$expected expected: $(IFS=,; echo "${parts[*]}" | sed 's/,/, /g')"
[ "$pending" -eq 0 ] || detail="$detail; $pending pending"
echo "$passed passed, $failed failed ($detail)"
exit $status
