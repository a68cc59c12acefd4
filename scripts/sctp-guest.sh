#!/bin/sh
# Runs INSIDE user-mode Linux (started by scripts/test-sctp.sh through scripts/uml-run.sh): the SCTP suites
# under both backends. Prints "@@sctp <backend> begin" / "@@sctp <backend> skipped <reason>" markers around
# mocha's own output so the host can count.
export NO_COLOR=1 FORCE_COLOR=0
MOCHA="node node_modules/mocha/bin/mocha.js --config packages/sctp/test/uml/.mocharc.json"
# SCTP_SPEC: only these files (the config's spec list would be merged with them, so it is left out)
[ -n "${SCTP_SPEC:-}" ] && MOCHA="node node_modules/mocha/bin/mocha.js --no-config -n import=tsx -n conditions=source \
  --extension ts --timeout 60000 --exit --no-color"
ulimit -n 65536 2>/dev/null
for be in ${SCTP_BACKENDS:-poll io_uring}; do
  if [ "$be" = io_uring ]; then
    # the kernel may refuse io_uring (a reason: skipped); a probe that cannot run at all is a failure
    if ! why=$(node --conditions=source --import tsx -e '
      import("./packages/io/src/native.ts").then((m) => { const w = m.native().probeUring(); console.log(w ?? ""); });' 2>&1); then
      echo "@@sctp io_uring begin"; echo "probe failed: $why"; echo "  0 passing"; echo "  1 failing"; echo "@@sctp io_uring end rc=1"; continue
    fi
    if [ -n "$why" ]; then echo "@@sctp io_uring skipped $why"; continue; fi
  fi
  echo "@@sctp $be begin"
  # shellcheck disable=SC2086
  OSMO_IO_BACKEND=$be $MOCHA ${SCTP_SPEC:-} 2>&1
  echo "@@sctp $be end rc=$?"
done
