#!/usr/bin/env bash
# Real Osmocom peers for interop tests (docs/design.md, "Real peers"). Their configs: test/peers/*.cfg.
#   scripts/peers.sh install                 install the Debian packages (idempotent, fast when present)
#   scripts/peers.sh start <hlr|bsc|stp|sgsn>...   start daemons on loopback, wait for their ports, print env
#   scripts/peers.sh stop                    stop every daemon started by 'start', wait for them to exit
#   scripts/peers.sh env                     print KEY=HOST:PORT lines for the running daemons
# Scratch dir: ${OSMO_PEERS_DIR:-${TMPDIR:-/tmp}/osmo-peers} (configs, pid files, logs, hlr.db).
set -euo pipefail

PACKAGES=(osmo-bsc osmo-hlr osmo-stp osmo-sgsn osmo-bts osmo-pcu libosmocore-utils tshark)
SCRATCH="${OSMO_PEERS_DIR:-${TMPDIR:-/tmp}/osmo-peers}"
START_TIMEOUT="${OSMO_PEERS_TIMEOUT:-20}"   # seconds to wait for a daemon's ports

die() { echo "peers.sh: $*" >&2; exit 1; }

# the daemon configs live in the repository, next to this script's parent
CFG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/peers"

# per daemon: binary, config file, TCP ports to wait for, env entries (NAME=port)
peer_bin()   { case "$1" in hlr) echo osmo-hlr;; bsc) echo osmo-bsc;; stp) echo osmo-stp;; sgsn) echo osmo-sgsn;; *) return 1;; esac; }
peer_cfg()   { case "$1" in hlr) echo hlr.cfg;; bsc) echo bsc.cfg;; stp) echo stp-ipa.cfg;; sgsn) echo sgsn.cfg;; *) return 1;; esac; }
peer_ports() { case "$1" in hlr) echo "4259 4222";; bsc) echo "4249 3002 3003";; stp) echo "5000";; sgsn) echo "4251";; *) return 1;; esac; }
peer_env()   {
  case "$1" in
    hlr) echo "OSMO_HLR_CTRL=127.0.0.1:4259 OSMO_HLR_GSUP=127.0.0.1:4222";;
    bsc) echo "OSMO_BSC_CTRL=127.0.0.1:4249 OSMO_BSC_OML=127.0.0.1:3002 OSMO_BSC_RSL=127.0.0.1:3003";;
    stp) echo "OSMO_STP_IPA=127.0.0.1:5000";;
    sgsn) echo "OSMO_SGSN_CTRL=127.0.0.1:4251 OSMO_SGSN_NS=127.0.0.1:23000";;
    *) return 1;;
  esac
}
ALL_PEERS=(hlr bsc stp sgsn)

pkg_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

cmd_install() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -eq 0 ]]; then echo "peers.sh: all packages installed"; return 0; fi
  echo "peers.sh: installing ${missing[*]}" >&2
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  $sudo "${apt[@]}" update >&2
  $sudo "${apt[@]}" install "${missing[@]}" >&2
}

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q LISTEN; }

pid_alive() { local pid="$1"; kill -0 "$pid" 2>/dev/null && [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]]; }

running() { [[ -f "$SCRATCH/$1.pid" ]] && pid_alive "$(cat "$SCRATCH/$1.pid")"; }

start_one() {
  local name="$1" bin cfg ports args=() port waited=0
  bin="$(peer_bin "$name")" || die "unknown peer '$name' (use: ${ALL_PEERS[*]})"
  cfg="$(peer_cfg "$name")"; ports="$(peer_ports "$name")"
  command -v "$bin" >/dev/null || die "$bin not installed (run: scripts/peers.sh install)"
  if running "$name"; then echo "peers.sh: $name already running (pid $(cat "$SCRATCH/$name.pid"))" >&2; return 0; fi
  for port in $ports; do
    listening "$port" && die "port $port (for $name) is already in use by another process"
  done
  [[ -f "$CFG_DIR/$cfg" ]] || die "missing $CFG_DIR/$cfg"
  mkdir -p "$SCRATCH/$name"
  cp "$CFG_DIR/$cfg" "$SCRATCH/$name/$cfg"
  args=(-c "$cfg")
  [[ "$name" == hlr ]] && args+=(-l "$SCRATCH/$name/hlr.db")
  ( cd "$SCRATCH/$name" && exec nohup "$bin" "${args[@]}" </dev/null >"$SCRATCH/$name.log" 2>&1 ) &
  echo $! >"$SCRATCH/$name.pid"
  local pid; pid="$(cat "$SCRATCH/$name.pid")"
  for port in $ports; do
    while ! listening "$port"; do
      if ! pid_alive "$pid"; then
        echo "peers.sh: $name exited before listening on $port; log $SCRATCH/$name.log:" >&2
        tail -n 30 "$SCRATCH/$name.log" >&2 || true
        rm -f "$SCRATCH/$name.pid"; return 1
      fi
      if (( waited >= START_TIMEOUT * 10 )); then
        echo "peers.sh: $name not listening on $port after ${START_TIMEOUT}s; log $SCRATCH/$name.log:" >&2
        tail -n 30 "$SCRATCH/$name.log" >&2 || true
        return 1
      fi
      sleep 0.1; waited=$((waited + 1))
    done
  done
  echo "peers.sh: $name up (pid $pid, ports $ports, log $SCRATCH/$name.log)" >&2
}

cmd_env() {
  local name
  for name in "${ALL_PEERS[@]}"; do
    if running "$name"; then peer_env "$name" | tr ' ' '\n'; fi
  done
}

cmd_start() {
  [[ $# -gt 0 ]] || die "usage: peers.sh start <hlr|bsc|stp|sgsn>..."
  mkdir -p "$SCRATCH"
  local name
  for name in "$@"; do start_one "$name"; done
  cmd_env >"$SCRATCH/env"
  echo "peers.sh: env file $SCRATCH/env" >&2
  cat "$SCRATCH/env"
}

cmd_stop() {
  local name pid pids=() i
  for name in "${ALL_PEERS[@]}"; do
    [[ -f "$SCRATCH/$name.pid" ]] || continue
    pid="$(cat "$SCRATCH/$name.pid")"
    if pid_alive "$pid"; then kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
    rm -f "$SCRATCH/$name.pid"
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$SCRATCH/env"
  [[ ${#pids[@]} -gt 0 ]] && echo "peers.sh: stopped ${#pids[@]} daemon(s); logs kept in $SCRATCH" >&2
  return 0
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *) echo "usage: $0 install | start <hlr|bsc|stp|sgsn>... | stop | env" >&2; exit 2 ;;
esac
