#!/usr/bin/env bash
# Start a one-node SLURM cluster (slurmctld + slurmd + slurmdbd accounting on a private
# MariaDB, munge auth) in DIR, for the cluster tests and for trying `launcher=slurm`.
#
#   tests/cluster/slurm_up.sh DIR      # prints `export SLURM_CONF=DIR/etc/slurm.conf`
#   tests/cluster/slurm_up.sh --install  # only install the packages (.ci/run does)
#   export SLURM_CONF=DIR/etc/slurm.conf; sinfo; squeue; sacct
#   tests/cluster/slurm_down.sh DIR    # stops every daemon started here, by its pid file
#
# Needs root (slurmd launches jobs, munged runs as the munge user). Installs the Debian
# packages when they are missing and apt-get can. Everything lives under DIR (config, state,
# spool, logs, sockets, database) on free TCP ports, so it touches no system-wide setup and
# can run beside another such cluster. Exit status 3 with one line on stderr: SLURM cannot be
# had here (the tests skip with that line); 1: it was had but did not start (a test failure).
set -euo pipefail

PKGS=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)
need() { echo "slurm_up: $*" >&2; exit 3; }

install() {  # the Debian packages, when missing and apt-get can; their services not started
  [ "$(id -u)" = 0 ] || need "needs root (slurmd runs jobs, munged runs as the munge user)"
  local b missing=()
  for b in slurmctld slurmd sbatch sacct slurmdbd munged mariadbd mariadb-install-db; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || need "missing ${missing[*]} and no apt-get to install them"
  local policy=/usr/sbin/policy-rc.d own_policy=0 log=${TMPDIR:-/tmp}/slurm_up_apt.log rc=0
  if [ ! -e "$policy" ]; then  # no daemon of the packages' own may outlive the tests
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PKGS[@]}"; } \
    >"$log" 2>&1 || rc=$?
  [ $own_policy = 1 ] && rm -f "$policy"
  [ $rc = 0 ] || need "apt-get install ${PKGS[*]} failed (see $log)"
}

[ "${1:-}" = --install ] && { install; exit 0; }
DIR=${1:?usage: slurm_up.sh DIR | --install}
fail() {
  echo "slurm_up: $*" >&2
  for f in "$DIR"/log/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  "$(dirname "$0")/slurm_down.sh" "$DIR"  # stop what did start
  exit 1
}
install
id munge >/dev/null 2>&1 || need "no munge user after installing munge"

mkdir -p "$DIR"/{etc,log,run,state,spool,munge,db}
DIR=$(cd "$DIR" && pwd)
chmod 755 "$DIR"   # munged (user munge) must reach its folder
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CTLD_PORT=$(free_port); SLURMD_PORT=$(free_port); DBD_PORT=$(free_port); DB_PORT=$(free_port)
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
MUNGE_SOCK=$DIR/munge/munge.socket

# munge: a fresh key, its own socket
chown munge:munge "$DIR/munge"; chmod 755 "$DIR/munge"  # munged wants x for all on its socket folder
dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$DIR/munge/munge.key"; chmod 400 "$DIR/munge/munge.key"
runuser -u munge -- munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCK" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
  --seed-file="$DIR/munge/munged.seed" || fail "munged did not start"
cp "$DIR/munge/munged.pid" "$DIR/run/munged.pid"

# MariaDB for slurmdbd: private data folder, localhost TCP only, no grant tables (throwaway)
mariadb-install-db --no-defaults --datadir="$DIR/db" --user=root --skip-test-db \
  --auth-root-authentication-method=normal >"$DIR/log/mariadb-install.log" 2>&1 \
  || fail "mariadb-install-db failed (see $DIR/log/mariadb-install.log)"
mariadbd --no-defaults --datadir="$DIR/db" --user=root --port="$DB_PORT" \
  --bind-address=127.0.0.1 --socket="$DIR/run/mysqld.sock" --pid-file="$DIR/run/mariadbd.pid" \
  --skip-grant-tables --innodb-buffer-pool-size=32M --innodb-lock-wait-timeout=900 \
  --innodb-log-file-size=16M --performance-schema=OFF \
  --log-error="$DIR/log/mariadbd.log" >/dev/null 2>&1 &
for _ in $(seq 60); do [ -S "$DIR/run/mysqld.sock" ] && break; sleep 0.5; done
[ -S "$DIR/run/mysqld.sock" ] || fail "mariadbd did not start"

cat >"$DIR/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=root
StorageLoc=slurm_acct_db
CONF
chmod 600 "$DIR/etc/slurmdbd.conf"

cat >"$DIR/etc/slurm.conf" <<CONF
ClusterName=da
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK,cred_expire=5
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
PlugStackConfig=$DIR/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# a requeued job starts within seconds (defaults: 60 s, 30 s; requeue delay cred_expire above)
SchedulerParameters=sched_interval=2,bf_interval=2
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=10
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# for the slurmdbd connection this names the munge socket
AccountingStoragePass=$MUNGE_SOCK
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
: >"$DIR/etc/plugstack.conf"
export SLURM_CONF=$DIR/etc/slurm.conf

slurmdbd || fail "slurmdbd did not start"
for _ in $(seq 60); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
sacctmgr -i -Q add cluster da >/dev/null 2>&1 || true
sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qx da \
  || fail "slurmdbd does not answer (cluster not registered)"
slurmctld -f "$DIR/etc/slurm.conf" || fail "slurmctld did not start"
slurmd -f "$DIR/etc/slurm.conf" || fail "slurmd did not start"
for _ in $(seq 60); do
  [ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ] && break; sleep 0.5
done
[ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ] || fail "node not idle: $(sinfo -N 2>&1 | tail -n 1)"
sacct -n -X -S now >/dev/null 2>&1 || fail "sacct does not answer"
echo "export SLURM_CONF=$SLURM_CONF"
