#!/usr/bin/env bash
# Stop the cluster slurm_up.sh started in DIR: its jobs (scancel), then each daemon by its
# pid file (SLURM's first, so slurmctld can tell slurmdbd), SIGKILL after 20 s. Safe to rerun.
set -uo pipefail
DIR=${1:?usage: slurm_down.sh DIR}
[ -d "$DIR/run" ] || exit 0
if [ -f "$DIR/etc/slurm.conf" ] && [ -f "$DIR/run/slurmctld.pid" ]; then
  SLURM_CONF=$DIR/etc/slurm.conf timeout 10 scancel --quiet --user=root 2>/dev/null
fi
stop() {  # pid files...: SIGTERM to all, wait up to 20 s for all, then SIGKILL
  local f pid pids=()
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null; done
  rm -f "$@"
}
stop "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid"
stop "$DIR/run/slurmdbd.pid" "$DIR/run/mariadbd.pid" "$DIR/munge/munged.pid" "$DIR/run/munged.pid"
exit 0
