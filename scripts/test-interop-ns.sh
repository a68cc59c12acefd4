#!/usr/bin/env bash
# NS interop tests (@osmo/ns2-udp) against real Osmocom daemons, under both @osmo/io backends.
# The specs are test/interop/*.interop.ts (not *.test.ts): scripts/test-interop.sh starts osmo-bsc without GPRS on the
# ports the PCU chain needs, so these run on their own, after it.
# The tests start osmo-sgsn (and the BSS chain) themselves from packages/ns2-udp/test/peers/ and stop them again;
# a daemon already listening on its VTY port is reused. Needs the Debian packages: scripts/peers.sh install
# (osmo-sgsn) plus osmo-pcu, osmo-bts, osmo-bsc for the PCU chain.
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
cfg="$(mktemp --suffix=.json "${TMPDIR:-/tmp}/mocharc-ns-interop.XXXXXX")"
trap 'rm -f "$cfg"' EXIT
CFG="$cfg" node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(".mocharc.json", "utf8"));
  c.spec = ["packages/ns2-udp/test/interop/**/*.interop.ts"];
  delete c.ignore;
  fs.writeFileSync(process.env.CFG, JSON.stringify(c));
'
status=0 passed=0 failed=0
for backend in io_uring poll; do
  echo "== ns interop, OSMO_IO_BACKEND=$backend"
  log="$(mktemp)"
  OSMO_IO_BACKEND=$backend npx mocha --config "$cfg" "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  if [[ -z "$p$f" ]]; then f=1; status=1; fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  rm -f "$log"
done
[[ -n "${OSMO_TEST_COUNTS:-}" ]] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
echo "ns interop: $passed passed, $failed failed"
exit $status
