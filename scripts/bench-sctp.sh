#!/usr/bin/env bash
# npm run bench:sctp: the SCTP echo benchmark (bench/sctp) inside user-mode Linux, poll vs io_uring side by side.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v linux.uml >/dev/null 2>&1 || { echo "bench:sctp SKIPPED: user-mode Linux is not installed (apt-get install user-mode-linux)"; exit 0; }
[ -f packages/io/build/Release/osmo_io.node ] || npm run build:native >/dev/null
UML_ENV="SCTP_BENCH_REPS" exec bash scripts/uml-run.sh "ulimit -n 65536; NO_COLOR=1 node bench/sctp/run.mjs $*"
