# Process helpers shared by the benchmark scripts (sourced, not run): logging, starting commands in process groups
# that are all killed when the script ends however it ends, and reading a process group's CPU, memory and
# context switches from /proc. Sourcing installs the EXIT/INT/TERM traps.

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Process groups started by this script; all are killed on exit, whatever the reason.
declare -A STARTED_GROUPS=()

kill_group() { # pgid: TERM, up to 10 s grace, then KILL
  local pgid=$1 i
  # Forget the group first, so a group that is already gone is never signalled again later (its id could
  # by then belong to an unrelated process).
  unset "STARTED_GROUPS[$pgid]"
  if ! kill -TERM -- "-$pgid" 2>/dev/null; then
    wait "$pgid" 2>/dev/null || true
    return 0
  fi
  for ((i = 0; i < 100; i++)); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
}

cleanup() {
  local pgid
  for pgid in "${!STARTED_GROUPS[@]}"; do
    kill_group "$pgid"
  done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Starts "$@" in the background as the leader of a new session/process group and records it.
# In a non-interactive shell a background job is not a group leader, so setsid does not fork and $! is the
# pid of the command itself (setsid and taskset both exec).
spawn() { # logfile command...
  local logfile=$1
  shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  SPAWNED=$!
  STARTED_GROUPS[$SPAWNED]=1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# utime+stime, in clock ticks, summed over every process of a process group (nginx: master + worker).
cpu_ticks() {
  local pgid=$1 pid stat total=0
  local -a f
  for pid in $(pgrep -g "$pgid"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -ra f <<<"${stat##*) }" # fields after "pid (comm) "; f[0] is field 3 (state)
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# VmRSS in KiB summed over a process group.
rss_kib() {
  local pgid=$1 pid kib total=0
  for pid in $(pgrep -g "$pgid"); do
    kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

# Runs wrk against a server for a workload; sets WRK_RESULT to wrk's result line (from lua/report.lua).
# wrk runs in its own process group like the servers, and the script waits for it with the wait builtin,

# Voluntary + involuntary context switches so far, summed over every thread of every process of a process group.
# Per thread, since /proc/PID/status counts only the main thread; a thread that exits between two reads takes its
# count with it, so read it around runs in which the thread set is steady (after a warm-up).
ctxt_switches() {
  local pgid=$1 pid
  for pid in $(pgrep -g "$pgid"); do
    cat "/proc/$pid/task/"*/status 2>/dev/null
  done | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# Round-robin orders: the rounds of a benchmark start each with a different server or layer.
rotated() { # offset item...: the items, starting at offset (mod their count)
  local offset=$1 i
  shift
  local -a all=("$@")
  for ((i = 0; i < ${#all[@]}; i++)); do echo "${all[$(((i + offset) % ${#all[@]}))]}"; done
}
