#!/usr/bin/env bash
# Benchmark: StaticHostApp on the epoll transport (ThreadPool and Inline scheduling) against the same app on
# Kestrel's Sockets transport and against nginx, all serving the same static files on 127.0.0.1; and the plaintext
# workloads: bench/PlaintextApp ("Hello, World!", 13 B, no middleware) on the same three .NET servers, with nginx's
# `return 200 "Hello, World!"` as a reference; StaticHostApp over HTTPS (HTTP/1.1, a self-signed certificate) against
# nginx over HTTPS; and the memory of idle keep-alive connections (bench/idle-memory.sh).
#
#   bench/setup.sh              # once: wrk, nginx, strace, gnuplot, taskset, cc, curl, openssl (Debian packages)
#   bench/run.sh                # full run: 3 rounds of 10 s per workload and server, about 80 minutes
#   bench/run.sh --quick        # smoke check: 1 round of 2 s runs, about 10 minutes; results go to bench/scratch/results
#
# Options (after --quick, which only changes the defaults):
#   --rounds N        rounds of the throughput matrix (default 3, quick 1)
#   --duration S      seconds of each counted wrk run (default 10, quick 2)
#   --idle N          idle keep-alive connections for the memory phase, bench/idle-memory.sh (default 10000, quick
#                     2000; 0 skips the phase)
#   --idle-rounds N   rounds of the memory phase (default 1; bench/idle-memory.sh on its own does 2)
#   --out DIR         where the .md/.csv/.png go (default bench/results, quick bench/scratch/results)
#   --servers LIST    comma-separated subset of: epoll,epoll-inline,sockets,nginx (default: all four), plus the
#                     optional epoll-cork: epoll (ThreadPool) with --EpollTransport:Cork=true
#   --workloads LIST  comma-separated subset of: plaintext,plaintext-pipe16,13b,4k,64k,1m,16m,4k-c1000,4k-c10000,
#                     13b-pipe16,https-4k,https-1m (default: all); the syscall phase traces those of
#                     4k,1m,plaintext,plaintext-pipe16 selected (quick: 4k,plaintext). 4k-c10000 needs 11,024 open
#                     files per process and as many local ports: the script raises its soft limit when the hard one
#                     allows and otherwise stops and says what to change.
#   --file-cache on|off  open-file cache on both sides (default on): StaticHostApp with
#                     --StaticHost:OpenFileCache:Validity=00:00:05, nginx with open_file_cache max=1000
#                     inactive=20s and open_file_cache_valid 5s
#
# Duration: each .NET server runs three instances per round (StaticHostApp for the static workloads, PlaintextApp
# for the plaintext ones, StaticHostApp over HTTPS for the HTTPS ones), each warmed up for 45 s; nginx runs in every
# phase, warmed up in the static one (or in the others when no static workload is selected); each workload costs a
# 3 s warm-up plus --duration on each of the 4 servers. A full run is about 3 rounds x (3 x 3 x 45 + 12 x 4 x 13) s
# = 52 min, plus about 9 min of syscall phase (a fresh, warmed-up instance each), 15 min of memory phase (10
# measurements of about 90 s) and 2 min of publishing: about 80 minutes. Shorter:
#   --rounds 1 --duration 5 --idle 0                          about 20 minutes
#   --workloads plaintext,plaintext-pipe16 --idle 0           about 20 minutes (--rounds 1 --duration 5: 10)
#   --workloads 4k-c1000,4k-c10000 --idle 0                   about 15 minutes
#   --workloads https-4k,https-1m --servers epoll,sockets --idle 0   about 10 minutes
#   --quick                                                   about 10 minutes (a 2 s run of 4k-c10000 may
#                                                             complete no request while 10,000 connects queue)
#
# Environment:
#   BENCH_PORT_BASE   first of the 127.0.0.1 ports used: five for HTTP from it, five for HTTPS from it + 10
#                     (default 18080)
#   BENCH_APP_ARGS    extra command-line arguments for StaticHostApp and PlaintextApp (space-separated; both
#                     read the EpollTransport section, PlaintextApp ignores StaticHost keys)
#
# Placement: on a 2-core machine the server is pinned to CPU 0 and wrk (and the idle client) to CPU 1 with
# taskset, so each server gets exactly one core and its CPU time per request is what is compared.
#
# What it does, in order:
#   1. publishes StaticHostApp and PlaintextApp (Release) into bench/scratch/app and bench/scratch/plaintext,
#      builds bench/AllocationProbe and the idle client, writes the files to serve;
#   2. throughput: each round has a static phase (StaticHostApp on every .NET server, nginx), a plaintext phase
#      (PlaintextApp, nginx) and an HTTPS phase (StaticHostApp over HTTPS, nginx over HTTPS). A phase starts all its servers side by side on the server core and warms each up;
#      then each workload runs on every server back to back (order rotated per round and per workload): a short
#      warm-up run, then the counted run, with the server's utime+stime and context switches (voluntary and
#      involuntary, summed over its threads) read from /proc before and after (and the idle servers' CPU checked:
#      more than 1% of a run is reported in the notes); then all are stopped;
#   3. allocations: every .NET server runs with the allocation probe as a startup hook (DOTNET_STARTUP_HOOKS);
#      right before and after each counted run the script sends SIGUSR2 and reads the process's total allocated
#      bytes, so the GC allocation delta of the run is divided by the requests wrk completed;
#   4. syscalls: each server is started fresh and warmed up, then strace -c -f attaches for a short wrk run
#      and the call counts are divided by the requests wrk completed;
#   5. memory: bench/idle-memory.sh on the same servers: RSS per idle keep-alive connection (N connections after
#      one request each) over HTTP, at the connection level and for the transport alone, and RSS after they close;
#   6. writes <UTC date>-<commit>.md (with the memory phase's tables at the end), .csv, .png and
#      <UTC date>-<commit>-idle-memory.tsv.
# Every process it starts runs in its own process group and is killed on exit, failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch"

# ---------------------------------------------------------------------------------------------- options

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

quick=0
rounds="" duration="" idle_conns="" idle_rounds=1 out_dir="" server_list="" workload_list="" file_cache=on
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --idle) idle_conns=${2:?}; shift ;;
    --idle-rounds) idle_rounds=${2:?}; shift ;;
    --out) out_dir=${2:?}; shift ;;
    --servers) server_list=${2:?}; shift ;;
    --workloads) workload_list=${2:?}; shift ;;
    --file-cache) file_cache=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if ((quick)); then
  : "${rounds:=1}" "${duration:=2}" "${idle_conns:=2000}" "${out_dir:=$WORK/results}"
  warmup_start=1        # seconds of load right after a server starts (JIT, tiering, pools)
  warmup_each=1         # seconds of the same workload right before each counted run
  strace_duration=2
  idle_args=(--warmup 2 --settle 1 --after-close 10)
  syscall_workloads=(4k plaintext)
else
  : "${rounds:=3}" "${duration:=10}" "${idle_conns:=10000}" "${out_dir:=$BENCH_DIR/results}"
  warmup_start=45       # tiered JIT needs 30-40 s of load on one pinned core to settle (measured)
  warmup_each=3
  strace_duration=5
  idle_args=()          # bench/idle-memory.sh's defaults: 10 s warm-up, 5 s settle, 60 s after the close
  syscall_workloads=(4k 1m plaintext plaintext-pipe16)
fi

[[ $file_cache == on || $file_cache == off ]] || { echo "run.sh: --file-cache takes on or off, not '$file_cache'" >&2; exit 2; }

# Placement, ports, labels and start-up of every server; process helpers; connection limits.
source "$BENCH_DIR/lib/procs.sh"
source "$BENCH_DIR/lib/servers.sh"
source "$BENCH_DIR/lib/limits.sh"
WRK_TIMEOUT=10s   # wrk's default 2 s would count a 16 MiB response queued behind 63 others as a timeout

SERVERS=("${ALL_SERVERS[@]}")
if [[ -n $server_list ]]; then
  IFS=, read -ra SERVERS <<<"$server_list"
  for server in "${SERVERS[@]}"; do
    [[ " ${KNOWN_SERVERS[*]} " == *" $server "* ]] || { echo "run.sh: unknown server '$server'" >&2; exit 2; }
  done
fi
# Workloads: id -> "app path connections pipeline-depth" (depth 1 = no pipelining). The app is the .NET server
# program: static = StaticHostApp serving bench/scratch/www, plaintext = PlaintextApp (which answers every path;
# nginx answers /plaintext from its config).
ALL_WORKLOADS=(plaintext plaintext-pipe16 13b 4k 64k 1m 16m 4k-c1000 4k-c10000 13b-pipe16 https-4k https-1m)
declare -A WORKLOAD=(
  [plaintext]="plaintext /plaintext 64 1"
  [plaintext-pipe16]="plaintext /plaintext 64 16"
  [13b]="static /13B.txt 64 1"
  [4k]="static /4KiB.txt 64 1"
  [64k]="static /64KiB.txt 64 1"
  [1m]="static /1MiB.txt 64 1"
  [16m]="static /16MiB.txt 64 1"
  [4k-c1000]="static /4KiB.txt 1000 1"
  [4k-c10000]="static /4KiB.txt 10000 1"
  [https-4k]="https /4KiB.txt 64 1"
  [https-1m]="https /1MiB.txt 64 1"
  [13b-pipe16]="static /13B.txt 64 16"
)
declare -A WORKLOAD_LABEL=(
  [plaintext]="plaintext" [plaintext-pipe16]="plaintext, pipelined x16"
  [13b]="13 B" [4k]="4 KiB" [64k]="64 KiB" [1m]="1 MiB" [16m]="16 MiB"
  [4k-c1000]="4 KiB, 1000 conns" [4k-c10000]="4 KiB, 10000 conns" [13b-pipe16]="13 B, pipelined x16"
  [https-4k]="HTTPS 4 KiB" [https-1m]="HTTPS 1 MiB"
)
WORKLOADS=("${ALL_WORKLOADS[@]}")
if [[ -n $workload_list ]]; then
  IFS=, read -ra WORKLOADS <<<"$workload_list"
  for workload in "${WORKLOADS[@]}"; do
    [[ -n ${WORKLOAD[$workload]:-} ]] || { echo "run.sh: unknown workload '$workload' (see --help)" >&2; exit 2; }
  done
fi
app_of() { local app rest; read -r app rest <<<"${WORKLOAD[$1]}"; echo "$app"; }
# The syscall phase traces only workloads that are also in the throughput matrix.
selected_syscall_workloads=()
for workload in "${syscall_workloads[@]}"; do
  [[ " ${WORKLOADS[*]} " == *" $workload "* ]] && selected_syscall_workloads+=("$workload")
done

# ---------------------------------------------------------------------------------------------- helpers

for tool in wrk strace gnuplot taskset cc dotnet setsid timeout curl openssl "$NGINX_BIN"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run bench/setup.sh first"
done
(($(nproc) >= 2)) || die "needs at least 2 CPUs (server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU)"

# which a trapped Ctrl-C interrupts at once (cleanup then kills wrk too).
run_wrk() { # server workload seconds
  local server=$1 workload=$2 seconds=$3 app path conns depth out="$WORK/logs/wrk.out" url
  read -r app path conns depth <<<"${WORKLOAD[$workload]}"
  url="http://127.0.0.1:${SERVER_PORT[$server]}$path"
  [[ $app == https ]] && url="https://127.0.0.1:${SERVER_HTTPS_PORT[$server]}$path"
  local -a script=(-s "$BENCH_DIR/lua/report.lua")
  local -a script_args=()
  if ((depth > 1)); then
    script=(-s "$BENCH_DIR/lua/pipeline.lua")
    script_args=(-- "$depth")
  fi
  # timeout bounds wrk even if a server wedges; -k kills it if it ignores TERM.
  spawn "$out" timeout -k 5 $((seconds + 60)) taskset -c "$CLIENT_CPU" \
    wrk --latency -t1 -c"$conns" -d"${seconds}s" --timeout "$WRK_TIMEOUT" -H "Host: $HOST_HEADER" \
    "${script[@]}" "$url" "${script_args[@]}"
  local pid=$SPAWNED
  wait "$pid" || true
  unset "STARTED_GROUPS[$pid]"
  WRK_RESULT=$(grep '^WRK_RESULT' "$out") || { cat "$out" >&2; die "wrk produced no result for $workload on $server ($url)"; }
}

field() { # "WRK_RESULT k=v ..." key
  local kv
  for kv in $1; do
    [[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }
  done
  echo 0
}


# A server's instances, one line each: the app, then the workloads (of those selected) it runs. A .NET server runs
# StaticHostApp for the static workloads, PlaintextApp for the plaintext ones and StaticHostApp over HTTPS for the
# HTTPS ones; nginx serves them all from one instance.
instances_of() { # name workload...
  local name=$1 workload app
  shift
  local -A of=()
  local -a apps=()
  for workload in "$@"; do
    app=$(app_of "$workload")
    [[ $name == nginx ]] && app=static
    [[ -n ${of[$app]+set} ]] || apps+=("$app")
    of[$app]+=" $workload"
  done
  for app in "${apps[@]}"; do echo "$app${of[$app]}"; done
}

# The load right after a server starts: 4 KiB for the static app (nginx: when a static workload is selected),
# the plaintext workload for PlaintextApp, 4 KiB over HTTPS for the HTTPS one.
warmup_workload() { # app
  case "$1" in
    plaintext) echo plaintext ;;
    https) echo https-4k ;;
    *) echo 4k ;;
  esac
}


# ---------------------------------------------------------------------------------------------- preparation

started_at=$(date +%s)
mkdir -p "$WORK/logs" "$out_dir"
: >"$NOTES_FILE"

# Enough descriptors and local ports for the largest number of connections a phase opens; children inherit it.
most_connections=$idle_conns
for workload in "${WORKLOADS[@]}"; do
  read -r _ _ conns _ <<<"${WORKLOAD[$workload]}"
  ((conns > most_connections)) && most_connections=$conns
done
ensure_connection_limits "$most_connections" "this run (--idle $idle_conns, workloads ${WORKLOADS[*]})"

publish "$REPO_DIR/src/StaticHostApp" "$WORK/app"
publish "$REPO_DIR/bench/PlaintextApp" "$WORK/plaintext"
publish "$REPO_DIR/bench/AllocationProbe" "$WORK/probe"
read_app_settings
build_idleclient
write_www
# nginx listens with TLS too when an HTTPS workload is selected.
nginx_tls=""
for workload in "${WORKLOADS[@]}"; do
  [[ $(app_of "$workload") == https ]] && nginx_tls=tls
done
[[ -z $nginx_tls ]] || make_tls_cert
write_nginx_conf ${nginx_tls:+tls}

# ---------------------------------------------------------------------------------------------- machine facts

commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO_DIR" diff --quiet HEAD -- src 2>/dev/null || commit_note=" (src/ has uncommitted changes)"
stamp=$(date -u +%Y-%m-%d)
result_base="$out_dir/$stamp-$commit"
FACTS="$WORK/facts.tsv"
{
  printf 'date_utc\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'commit\t%s%s\n' "$commit" "${commit_note:-}"
  printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'dotnet_sdk\t%s\n' "$(dotnet --version)"
  printf 'aspnetcore\t%s\n' "$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" { v = $2 } END { print v }')"
  printf 'nginx\t%s\n' "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')"
  printf 'wrk\t%s\n' "$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
  printf 'load_at_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'mode\t%s\n' "$( ((quick)) && echo "quick (smoke check)" || echo full)"
  printf 'file_cache\t%s\n' "$file_cache"
  printf 'rounds\t%s\n' "$rounds"
  printf 'duration_s\t%s\n' "$duration"
  printf 'warmup_start_s\t%s\n' "$warmup_start"
  printf 'warmup_each_s\t%s\n' "$warmup_each"
  printf 'idle_conns\t%s\n' "$idle_conns"
  printf 'server_cpu\t%s\n' "$SERVER_CPU"
  printf 'client_cpu\t%s\n' "$CLIENT_CPU"
  printf 'clk_tck\t%s\n' "$(getconf CLK_TCK)"
} >"$FACTS"

# ---------------------------------------------------------------------------------------------- throughput

RAW="$WORK/raw.tsv"
printf 'round\tworkload\tserver\trequests\tbytes\tduration_us\tp50_us\tp99_us\tsocket_errors\ttimeouts\tnon2xx\tcpu_ticks\tallocated_bytes\tclient_cpu_ticks\tctxt_switches\n' >"$RAW"

# The servers of one app run side by side (all pinned to the same core; only the one under load is busy), and
# each workload runs on every server back to back, so the ratios of a round compare runs seconds apart rather than
# minutes: on this kind of machine throughput drifts by 10% and more over minutes, whatever the server.
STATIC_WORKLOADS=() PLAINTEXT_WORKLOADS=() HTTPS_WORKLOADS=()
for workload in "${WORKLOADS[@]}"; do
  case "$(app_of "$workload")" in
    static) STATIC_WORKLOADS+=("$workload") ;;
    plaintext) PLAINTEXT_WORKLOADS+=("$workload") ;;
    https) HTTPS_WORKLOADS+=("$workload") ;;
  esac
done
IDLE_LIMIT_TICKS=$(awk -v d="$duration" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", d * hz / 100 }') # 1% of a run

run_phase() { # round app workload...
  local round=$1 app=$2 server workload index=0 others_before others_after pid
  shift 2
  local -a order
  declare -A pids=()
  mapfile -t order < <(rotated "$((round - 1))" "${SERVERS[@]}")
  for server in "${order[@]}"; do
    log "round $round/$rounds: starting $server ($app)"
    start_server "$server" "$app"
    pids[$server]=$SERVER_PID
  done
  for server in "${order[@]}"; do
    # nginx needs no JIT warm-up; it gets one load period per round, in the static phase when there is one.
    [[ $server == nginx && $app != static && ${#STATIC_WORKLOADS[@]} -gt 0 ]] && continue
    log "round $round/$rounds: warming up $server ($app)"
    run_wrk "$server" "$(warmup_workload "$app")" "$warmup_start"
  done
  for workload in "$@"; do
    # The order turns with every workload too, so no server always runs first. Rotation keeps the cyclic order, so
    # each server still follows the same neighbour; the 3 s warm-up run before each counted run separates them.
    mapfile -t order < <(rotated "$((round - 1 + index))" "${SERVERS[@]}")
    index=$((index + 1))
    for server in "${order[@]}"; do
      pid=${pids[$server]}
      run_wrk "$server" "$workload" "$warmup_each"
      alloc_before=$(allocated_bytes "$server" "$pid")
      others_before=$(idle_ticks "$server" pids)
      before=$(cpu_ticks "$pid")
      switches_before=$(ctxt_switches "$pid")
      run_wrk "$server" "$workload" "$duration"
      switches_after=$(ctxt_switches "$pid")
      after=$(cpu_ticks "$pid")
      others_after=$(idle_ticks "$server" pids)
      alloc_after=$(allocated_bytes "$server" "$pid")
      allocated=""
      [[ -n $alloc_before && -n $alloc_after ]] && allocated=$((alloc_after - alloc_before))
      ((others_after - others_before <= IDLE_LIMIT_TICKS)) ||
        note "round $round, $workload on $server: the idle servers used $((others_after - others_before)) clock ticks of CPU during the run (more than 1% of it)"
      result=$WRK_RESULT
      kill -0 "$pid" 2>/dev/null || die "$server died during $workload (log: bench/scratch/logs/$server.log)"
      sock=$(($(field "$result" connect) + $(field "$result" read) + $(field "$result" write)))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$workload" "$server" \
        "$(field "$result" requests)" "$(field "$result" bytes)" "$(field "$result" duration_us)" \
        "$(field "$result" p50_us)" "$(field "$result" p99_us)" "$sock" "$(field "$result" timeout)" \
        "$(field "$result" status)" "$((after - before))" "$allocated" "$(field "$result" client_cpu_ticks)" \
        "$((switches_after - switches_before))" >>"$RAW"
      log "  $workload on $server: $(field "$result" requests) requests, errors socket=$sock timeout=$(field "$result" timeout) non2xx=$(field "$result" status)${allocated:+, $allocated bytes allocated}"
    done
  done
  for server in "${order[@]}"; do
    kill_group "${pids[$server]}"
  done
}

# CPU clock ticks used so far by every server of the phase except the one under load.
idle_ticks() { # busy-server name-of-pid-array
  local busy=$1 server total=0
  local -n all=$2
  for server in "${!all[@]}"; do
    [[ $server == "$busy" ]] || total=$((total + $(cpu_ticks "${all[$server]}")))
  done
  echo "$total"
}

for ((round = 1; round <= rounds; round++)); do
  ((${#STATIC_WORKLOADS[@]} == 0)) || run_phase "$round" static "${STATIC_WORKLOADS[@]}"
  ((${#PLAINTEXT_WORKLOADS[@]} == 0)) || run_phase "$round" plaintext "${PLAINTEXT_WORKLOADS[@]}"
  ((${#HTTPS_WORKLOADS[@]} == 0)) || run_phase "$round" https "${HTTPS_WORKLOADS[@]}"
done

# ---------------------------------------------------------------------------------------------- syscalls

SYSCALLS="$WORK/syscalls.tsv"
printf 'server\tworkload\trequests\tsyscall\tcalls\n' >"$SYSCALLS"

measure_syscalls() { # server workload
  local server=$1 workload=$2 trace="$WORK/logs/strace-$1-$2.txt"
  local -a targets=()
  local pid
  if [[ $server == nginx ]]; then
    for pid in $(pgrep -P "$SERVER_PID"); do targets+=(-p "$pid"); done # the worker(s)
  else
    targets=(-p "$SERVER_PID") # with -f, every thread of the process is attached
  fi
  sleep 1 # let the previous run's connections finish closing, so their teardown is not traced
  spawn "$trace.err" strace -c -f -o "$trace" "${targets[@]}"
  local tracer=$SPAWNED i
  for ((i = 0; i < 50; i++)); do
    grep -q 'attached' "$trace.err" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  run_wrk "$server" "$workload" "$strace_duration"
  local result=$WRK_RESULT
  # strace prints its -c summary when it detaches on SIGINT.
  kill -INT "$tracer" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$tracer" 2>/dev/null || break
    sleep 0.1
  done
  kill_group "$tracer"
  local requests
  requests=$(field "$result" requests)
  # strace -c rows: % time, seconds, usecs/call, calls, [errors], syscall -- calls is always the 4th field.
  awk -v s="$server" -v w="$workload" -v r="$requests" \
    '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "%s\t%s\t%s\t%s\t%s\n", s, w, r, $NF, $4 }' \
    "$trace" >>"$SYSCALLS"
  log "  syscalls ($workload): $(awk '$NF == "total" { print $4 }' "$trace") calls for $requests requests"
}

for server in "${SERVERS[@]}"; do
  while read -r -u 3 app traced_workloads; do
    [[ -n $traced_workloads ]] || continue
    log "syscalls: $server ($app)"
    start_server "$server" "$app"
    run_wrk "$server" "$(warmup_workload "$app")" "$warmup_start"
    for workload in $traced_workloads; do
      measure_syscalls "$server" "$workload"
    done
    stop_server
  done 3< <(instances_of "$server" "${WORKLOADS[@]}" | while read -r app rest; do
    traced=()
    for workload in $rest; do
      [[ " ${selected_syscall_workloads[*]} " == *" $workload "* ]] && traced+=("$workload")
    done
    echo "$app ${traced[*]}"
  done)
done

# ---------------------------------------------------------------------------------------------- idle memory

# bench/idle-memory.sh on the same servers, with the apps published above: RSS per idle connection over HTTP, at the
# connection level and for the transport alone, and RSS after the connections close.
IDLE_REPORT="$WORK/idle-memory.md"
rm -f "$IDLE_REPORT"
if ((idle_conns > 0)); then
  log "idle-connection memory: $idle_conns connections"
  "$BENCH_DIR/idle-memory.sh" --no-publish --connections "$idle_conns" --rounds "$idle_rounds" \
    --servers "$(IFS=,; echo "${SERVERS[*]}")" --file-cache "$file_cache" --report "$IDLE_REPORT" "${idle_args[@]}" ||
    note "bench/idle-memory.sh failed; its log is above"
fi

# ---------------------------------------------------------------------------------------------- report

log "writing $result_base.{md,csv,png}"
labels=()
for server in "${KNOWN_SERVERS[@]}"; do labels+=("$server=${SERVER_LABEL[$server]}"); done
wlabels=()
for workload in "${WORKLOADS[@]}"; do wlabels+=("$workload=${WORKLOAD_LABEL[$workload]}"); done

awk -F'\t' -f "$BENCH_DIR/lib/numbers.awk" -f "$BENCH_DIR/lib/report.awk" \
  -v servers="${SERVERS[*]}" -v workloads="${WORKLOADS[*]}" \
  -v server_labels="$(IFS='|'; echo "${labels[*]}")" -v workload_labels="$(IFS='|'; echo "${wlabels[*]}")" \
  -v md="$result_base.md" -v csv="$result_base.csv" -v chartdata="$WORK/chart.dat" \
  -v png="$(basename "$result_base").png" \
  "$FACTS" "$RAW" "$SYSCALLS" "$NOTES_FILE"
if [[ -s $IDLE_REPORT ]]; then
  cat "$IDLE_REPORT" >>"$result_base.md"
  cp "${IDLE_REPORT%.md}.tsv" "$result_base-idle-memory.tsv"
fi

baseline_column=0
for i in "${!SERVERS[@]}"; do [[ ${SERVERS[$i]} == sockets ]] && baseline_column=$((i + 2)); done
subtitle=$(basename "$result_base")
((quick)) && subtitle+=" - quick smoke check"
gnuplot -e "datafile='$WORK/chart.dat'; outfile='$result_base.png'; subtitle='$subtitle'; ncols=$((${#SERVERS[@]} + 1)); base=$baseline_column" \
  "$BENCH_DIR/lib/chart.gp"

elapsed=$(($(date +%s) - started_at))
log "done in $((elapsed / 60))m$((elapsed % 60))s: $result_base.md"
