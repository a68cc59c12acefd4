#!/usr/bin/env bash
# NS interop tests (@osmo/ns2-udp) against real Osmocom daemons, under both @osmo/io backends.
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
  c.spec = ["packages/ns2-udp/test/interop/**/*.test.ts"];
  delete c.ignore;
  fs.writeFileSync(process.env.CFG, JSON.stringify(c));
'
status=0
for backend in io_uring poll; do
  echo "== ns interop, OSMO_IO_BACKEND=$backend"
  OSMO_IO_BACKEND=$backend npx mocha --config "$cfg" "$@" || status=1
done
exit $status
