#!/usr/bin/env bash
# Soak: 100 BTS x 4 TRX (400 RSL + 100 OML links, BSC and BTS side in one process) for SOAK_S seconds (600) under
# each backend, one after the other; VmRSS and the open fds of the process are sampled every SAMPLE_S seconds (10)
# into the JSON summary (examples/bsc-link-sim/soak-results/soak-<backend>.json) and printed as start -> end.
#   bash examples/bsc-link-sim/scripts/soak.sh [backend...]     (default: poll io_uring)
# Env: SOAK_S, SAMPLE_S, SOAK_RATE (RSL msgs/s per TRX, 25), SOAK_OUT (output directory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="$here/dist/src/cli.js"
[[ -f "$cli" ]] || { echo "soak: $cli missing, run npm run build first" >&2; exit 2; }
out="${SOAK_OUT:-$here/soak-results}"
mkdir -p "$out"
backends=("$@"); [[ ${#backends[@]} -gt 0 ]] || backends=(poll io_uring)
status=0
for b in "${backends[@]}"; do
  echo "soak: $b, ${SOAK_S:-600} s, samples every ${SAMPLE_S:-10} s -> $out/soak-$b.json" >&2
  # bounded: the run ends by itself after SOAK_S; timeout is the backstop
  set +e
  timeout --signal=TERM --kill-after=30 $(( ${SOAK_S:-600} + 120 )) node "$cli" --bts 100 --trx 4 --rate "${SOAK_RATE:-25}" \
    --duration "${SOAK_S:-600}" --sample "${SAMPLE_S:-10}" --backend "$b" --ctrl-port none --json \
    >"$out/soak-$b.json" 2>"$out/soak-$b.log"
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || status=$rc
  node -e '
    // --json streams progress objects; the summary is the last line
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
    const s = JSON.parse(lines[lines.length - 1]), r = s.resources;
    const mib = (kb) => (kb / 1024).toFixed(1);
    console.log(`soak ${s.backend}: ${s.durationS.toFixed(0)} s, ${s.sent} sent / ${s.received} received / ${s.lost} lost / ` +
      `${s.unaccounted} unaccounted, links ${s.omlLinksUp}+${s.rslLinksUp}/${s.linksExpected}, reconnects ${s.reconnects}, CPU ${s.cpuPercent.toFixed(1)} %`);
    console.log(`  RSS ${mib(r.start.rssKb)} MiB (t=${r.start.t} s) -> ${mib(r.end.rssKb)} MiB (t=${r.end.t} s), min ${mib(r.min.rssKb)}, max ${mib(r.max.rssKb)}`);
    console.log(`  fds ${r.start.fds} -> ${r.end.fds}, min ${r.min.fds}, max ${r.max.fds}`);
    // drift check through the GC sawtooth: RSS range in the first and in the second half of the steady samples
    const st = r.samples.filter((x) => x.t >= r.start.t), h = Math.floor(st.length / 2);
    const rng = (xs) => `${mib(Math.min(...xs.map((x) => x.rssKb)))}..${mib(Math.max(...xs.map((x) => x.rssKb)))} MiB`;
    if (h > 0) console.log(`  RSS first half ${rng(st.slice(0, h))}, second half ${rng(st.slice(h))}`);
  ' "$out/soak-$b.json" || status=1
done
exit $status
