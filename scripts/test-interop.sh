#!/usr/bin/env bash
# Interop tests against real Osmocom daemons (Debian packages), see docs/design.md ("Real peers").
# Installs the peers, starts them on loopback, exports their addresses (OSMO_*=host:port), runs mocha over the
# interop specs, stops the peers on exit and exits with mocha's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PEERS="${OSMO_INTEROP_PEERS:-hlr bsc stp sgsn}"

bash scripts/peers.sh install
trap 'bash scripts/peers.sh stop || true' EXIT
# shellcheck disable=SC2086
env_lines="$(bash scripts/peers.sh start $PEERS)"
while IFS= read -r line; do
  [[ "$line" == OSMO_*=* ]] && export "${line?}"
done <<<"$env_lines"
echo "test-interop: peers up: $(echo "$env_lines" | tr '\n' ' ')"

shopt -s nullglob globstar
patterns=(
  'packages/*/test/interop/**/*.test.ts'
  'examples/*/test/interop/**/*.test.ts'
)
spec_patterns=()
for p in "${patterns[@]}"; do
  # shellcheck disable=SC2206
  matches=($p)
  if [[ ${#matches[@]} -gt 0 ]]; then spec_patterns+=("$p"); fi
done
if [[ ${#spec_patterns[@]} -eq 0 ]]; then
  echo "test-interop: no interop test files found"
  exit 0
fi

# mocha merges --spec with the "spec" of .mocharc.json; run with a copy of that config whose spec is replaced.
cfg="$(mktemp --suffix=.json "${TMPDIR:-/tmp}/mocharc-interop.XXXXXX")"
trap 'rm -f "$cfg"; bash scripts/peers.sh stop || true' EXIT
CFG="$cfg" node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(".mocharc.json", "utf8"));
  c.spec = process.argv.slice(1);
  delete c.ignore;
  fs.writeFileSync(process.env.CFG, JSON.stringify(c));
' "${spec_patterns[@]}"
status=0
log="$(mktemp)"
set +e
npx mocha --config "$cfg" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
p=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
f=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
rm -f "$log"
if [[ -z "$p$f" ]]; then f=1; status=1; fi
[[ -n "${OSMO_TEST_COUNTS:-}" ]] && echo "${p:-0} ${f:-0}" >> "$OSMO_TEST_COUNTS"
echo "interop: ${p:-0} passed, ${f:-0} failed"
# NS interop (@osmo/ns2-udp, both backends) starts its own osmo-sgsn and GPRS BSS chain: after the shared peers
bash scripts/peers.sh stop || true
bash scripts/test-interop-ns.sh || status=1
exit "$status"
