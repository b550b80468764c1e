#!/usr/bin/env bash
# Where a server's time per request goes: one server, one workload, on a quiet machine. Counts system calls and
# context switches per request (perf stat), samples the server's stacks (perf record -g, .NET frames named through
# DOTNET_PerfMapEnabled=1) and splits the CPU time per request two ways:
#   - by the code that ran (self time): the transport, Kestrel's HTTP layer, the application and its middleware,
#     System.IO.Pipelines, thread pool and async machinery, the GC, other runtime code, and the kernel by system call;
#   - on whose behalf it ran: every sample is charged to the nearest frame on its stack that belongs to the
#     transport, Kestrel, or the application, so a send's kernel time counts for whoever called send.
#
#   bench/profile.sh SERVER WORKLOAD [options]
#
#   SERVER    epoll (ThreadPool scheduling), epoll-inline, sockets (Kestrel's Sockets transport)
#   WORKLOAD  plaintext, plaintext-pipe16 (bench/PlaintextApp), 13b, 4k, 64k, 1m, 4k-c1000, 13b-pipe16 (StaticHostApp),
#             https-4k, https-1m (StaticHostApp over HTTPS/1.1 with a self-signed certificate, as in run.sh)
#
# Options:
#   --warmup S    seconds of load after start before anything is counted (default 35: tiered JIT settles late)
#   --warmup-workload W  the load of the warm-up, when it should differ from WORKLOAD (for example 4k-c1000 before
#                 13b-pipe16, the order of run.sh); the measured workload then gets 3 s of load of its own first
#   --duration S  seconds of the counted run, once for perf stat and once for perf record (default 6)
#   --app-dir D   use already published apps: D/app/StaticHostApp.dll and D/plaintext/PlaintextApp.dll
#                 (default: publish this checkout's working tree into bench/scratch/profile)
#   --keep        keep perf.data and the perf script output in bench/scratch/profile
#   --allocation-sources  after the profile, one more counted run with bench/AllocationProbe tallying where the
#                 allocated bytes came from: by type (the GC's allocation samples) and ArrayPool<T>.Shared's buffers
#                 allocated because it ran dry or dropped because it was full, per request (events on only for that run)
#
# Both apps read the transport from the Transport key (configuration keys ignore case, so PlaintextApp's
# --transport is the same key). Placement as in run.sh: the server on CPU 0, wrk on CPU 1 (-t1, 64 connections, or 1000 for 4k-c1000; pipelined:
# 16 requests per write). StaticHostApp runs with the open-file cache on and request logging off, as in run.sh.
# Needs perf, wrk, curl and openssl (bench/setup.sh installs them). Prints a Markdown report on standard output.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch/profile"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
(($# >= 2)) || { usage; exit 2; }
server=$1 workload=$2
shift 2
warmup=35 duration=6 app_dir="" keep=0 warmup_workload="" sources=0
while (($#)); do
  case "$1" in
    --warmup) warmup=${2:?}; shift ;;
    --warmup-workload) warmup_workload=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --app-dir) app_dir=${2:?}; shift ;;
    --keep) keep=1 ;;
    --allocation-sources) sources=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "profile.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

for tool in perf wrk taskset setsid dotnet curl; do
  command -v "$tool" >/dev/null || { echo "profile.sh: '$tool' not found; run bench/setup.sh" >&2; exit 1; }
done

declare -A SIZE=([13B]=13 [4KiB]=4096 [64KiB]=65536 [1MiB]=1048576)
workload_shape() { # workload: sets app, path, conns and depth
  case "$1" in
    plaintext) app=plaintext path=/plaintext conns=64 depth=1 ;;
    plaintext-pipe16) app=plaintext path=/plaintext conns=64 depth=16 ;;
    13b) app=static path=/13B.txt conns=64 depth=1 ;;
    4k) app=static path=/4KiB.txt conns=64 depth=1 ;;
    64k) app=static path=/64KiB.txt conns=64 depth=1 ;;
    1m) app=static path=/1MiB.txt conns=64 depth=1 ;;
    4k-c1000) app=static path=/4KiB.txt conns=1000 depth=1 ;;
    13b-pipe16) app=static path=/13B.txt conns=64 depth=16 ;;
    https-4k) app=https path=/4KiB.txt conns=64 depth=1 ;;
    https-1m) app=https path=/1MiB.txt conns=64 depth=1 ;;
    *) echo "profile.sh: unknown workload '$1'" >&2; exit 2 ;;
  esac
}
if [[ -n $warmup_workload ]]; then
  workload_shape "$warmup_workload"
  warmup_app=$app
  workload_shape "$workload"
  [[ $warmup_app == "$app" ]] || { echo "profile.sh: $warmup_workload and $workload are served by different apps" >&2; exit 2; }
fi
workload_shape "$workload"
case "$server" in
  epoll) server_args=(--Transport=epoll --EpollTransport:ApplicationSchedulingMode=ThreadPool) ;;
  epoll-inline) server_args=(--Transport=epoll --EpollTransport:ApplicationSchedulingMode=Inline) ;;
  sockets) server_args=(--Transport=sockets) ;;
  *) echo "profile.sh: unknown server '$server'" >&2; exit 2 ;;
esac

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
source "$BENCH_DIR/lib/tls.sh"
HOST_HEADER=bench.test
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    # The runtime's perf map files (DOTNET_PerfMapEnabled) outlive the process.
    rm -f "/tmp/perf-$SERVER_PID.map" "/tmp/perfinfo-$SERVER_PID.map"
  fi
  ((keep)) || rm -f "$WORK/perf.data" "$WORK/perf.data.old" "$WORK/perf.script"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/www"
for name in "${!SIZE[@]}"; do
  file="$WORK/www/$name.txt"
  [[ -f $file && $(stat -c %s "$file") == "${SIZE[$name]}" ]] ||
    { head -c $((SIZE[$name] * 3 / 4 + 114)) /dev/urandom | base64 -w 76 >"$file" && truncate -s "${SIZE[$name]}" "$file"; }
done

if [[ -z $app_dir ]]; then
  app_dir=$WORK
  log "publishing the working tree's StaticHostApp and PlaintextApp"
  # Build outputs stay under bench/scratch, out of the source tree.
  dotnet publish "$REPO_DIR/src/StaticHostApp" -c Release -o "$app_dir/app" --artifacts-path "$WORK/artifacts" -nologo -v quiet \
    >"$WORK/publish.log" 2>&1 &&
    dotnet publish "$BENCH_DIR/PlaintextApp" -c Release -o "$app_dir/plaintext" --artifacts-path "$WORK/artifacts" -nologo -v quiet \
      >>"$WORK/publish.log" 2>&1 ||
    { tail -20 "$WORK/publish.log" >&2; exit 1; }
fi

probe_env=()
if ((sources)); then
  dotnet publish "$BENCH_DIR/AllocationProbe" -c Release -o "$WORK/probe" --artifacts-path "$WORK/artifacts" -nologo -v quiet \
    >>"$WORK/publish.log" 2>&1 || { tail -20 "$WORK/publish.log" >&2; exit 1; }
  rm -f "$WORK/allocation-sources.txt"
  probe_env=("DOTNET_STARTUP_HOOKS=$WORK/probe/AllocationProbe.dll" "BENCH_ALLOCATION_SOURCES_FILE=$WORK/allocation-sources.txt")
fi

port=18191 scheme=http
if [[ $app == plaintext ]]; then
  cmd=("$app_dir/plaintext/PlaintextApp.dll" --urls "http://127.0.0.1:$port")
else
  [[ $app == https ]] && scheme=https
  cmd=("$app_dir/app/StaticHostApp.dll" --urls "$scheme://127.0.0.1:$port"
    --StaticHost:Sites:0:Hosts:0=bench.test "--StaticHost:Sites:0:Root=$WORK/www" --StaticHost:DefaultSite=bench.test
    --StaticHost:RequestLog:Enabled=false --StaticHost:OpenFileCache:Validity=00:00:05 --Logging:LogLevel:Default=Warning)
  if [[ $app == https ]]; then
    make_tls_cert
    cmd+=("--Kestrel:Certificates:Default:Path=$TLS_CERT" "--Kestrel:Certificates:Default:KeyPath=$TLS_KEY")
  fi
fi

# Each thread's context switches so far, from /proc: "tid<TAB>name<TAB>voluntary<TAB>involuntary" lines. A
# voluntary switch is a thread going to sleep (epoll_wait, a futex); an involuntary one is a runnable thread taken
# off the core: preempted, or yielding (sched_yield, which idle thread-pool workers call while they spin for work).
thread_switches() { # pid
  awk -F':[ \t]*' '
    $1 == "Name" { name[FILENAME] = $2 }
    $1 == "voluntary_ctxt_switches" { vol[FILENAME] = $2 }
    $1 == "nonvoluntary_ctxt_switches" { invol[FILENAME] = $2 }
    END { for (f in name) { tid = f; gsub(/^.*task\/|\/status$/, "", tid); printf "%s\t%s\t%d\t%d\n", tid, name[f], vol[f], invol[f] } }
  ' /proc/"$1"/task/*/status 2>/dev/null || true
}

wrk_run() { # seconds: one wrk run of the workload; prints the number of completed requests
  local script=()
  ((depth > 1)) && script=(-s "$BENCH_DIR/lua/pipeline.lua")
  taskset -c 1 wrk -t1 -c"$conns" -d"$1s" --timeout 10s -H 'Host: bench.test' "${script[@]}" \
    "$scheme://127.0.0.1:$port$path" ${script:+-- "$depth"} | awk '/requests in/ { print $1 }'
}

log "starting $server for $workload"
# W^X off: with it, JIT code runs from a shared-memory mapping that perf does not match against the perf map.
setsid taskset -c 0 env ASPNETCORE_ENVIRONMENT=Production DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 "${probe_env[@]}" \
  dotnet "${cmd[@]}" "${server_args[@]}" >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
for _ in $(seq 300); do curl -sfk -o /dev/null -H 'Host: bench.test' "$scheme://127.0.0.1:$port$path" && break; sleep 0.1; done
curl -sfk -o /dev/null -H 'Host: bench.test' "$scheme://127.0.0.1:$port$path" || { cat "$WORK/server.log" >&2; exit 1; }
# The server process is the child of setsid's exec: its pid is SERVER_PID.
if [[ -n $warmup_workload ]]; then
  log "warming up with $warmup_workload for ${warmup}s"
  workload_shape "$warmup_workload"
  wrk_run "$warmup" >/dev/null
  workload_shape "$workload"
  wrk_run 3 >/dev/null
else
  log "warming up for ${warmup}s"
  wrk_run "$warmup" >/dev/null
fi

log "perf stat for ${duration}s"
stat_out="$WORK/perf-stat.txt"
syscalls=(read pread64 preadv preadv2 recvfrom recvmsg readv write sendto sendmsg writev sendfile64 epoll_wait
  epoll_pwait epoll_ctl accept4 shutdown setsockopt sched_yield futex openat openat2 statx fstat close io_uring_enter)
events=(-e task-clock -e context-switches -e raw_syscalls:sys_enter)
tracepoints=$(perf list tracepoint 2>/dev/null)
for s in "${syscalls[@]}"; do
  grep -qw "syscalls:sys_enter_$s" <<<"$tracepoints" && events+=(-e "syscalls:sys_enter_$s")
done
taskset -c 1 perf stat -x, -o "$stat_out" "${events[@]}" -p "$SERVER_PID" -- sleep "$((duration + 1))" &
stat_pid=$!
sleep 0.5
thread_switches "$SERVER_PID" >"$WORK/switches-before.tsv"
stat_requests=$(wrk_run "$duration")
thread_switches "$SERVER_PID" >"$WORK/switches-after.tsv"
wait "$stat_pid"

log "perf record for ${duration}s"
rm -f "$WORK/perf.data" "$WORK/perf.data.old"
taskset -c 1 perf record -q -F 2999 -g -o "$WORK/perf.data" -p "$SERVER_PID" -- sleep "$((duration + 1))" 2>/dev/null &
record_pid=$!
sleep 0.5
record_requests=$(wrk_run "$duration")
wait "$record_pid"
# perf record's window is a bit longer than the load, so the per-request split uses the CPU time of the samples
# scaled by perf stat's task-clock per request, which was taken over a window that matches the load as closely.
perf script -i "$WORK/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null >"$WORK/perf.script"
if ((sources)); then
  log "allocation sources for ${duration}s"
  kill -USR2 "$SERVER_PID"
  sources_requests=$(wrk_run "$duration")
  kill -USR2 "$SERVER_PID"
  for _ in $(seq 100); do [[ -s $WORK/allocation-sources.txt ]] && break; sleep 0.1; done
  [[ -s $WORK/allocation-sources.txt ]] || die "the allocation probe wrote nothing (server log: $WORK/server.log)"
fi
kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
rm -f "/tmp/perf-$SERVER_PID.map" "/tmp/perfinfo-$SERVER_PID.map"
SERVER_PID=""

awk -F, -v requests="$stat_requests" -v duration="$duration" -v server="$server" -v workload="$workload" '
  $1 ~ /^[0-9.]+$/ {
    event = $3; sub(/^syscalls:sys_enter_/, "", event); sub(/^raw_syscalls:sys_enter$/, "all system calls", event)
    value[event] = $1; order[++n] = event
  }
  END {
    printf "## %s, %s: %d requests in %d s\n\n", server, workload, requests, duration
    printf "Busy CPU: %.2f µs per request (task-clock); %.3f context switches per request.\n\n", value["task-clock"] * 1000 / requests, value["context-switches"] / requests
    printf "| system call | per request |\n| --- | ---: |\n"
    listed = 0
    for (i = 1; i <= n; i++) {
      e = order[i]
      if (e == "task-clock" || e == "context-switches") continue
      if (e != "all system calls") listed += value[e]
      if (value[e] / requests >= 0.001 || e == "all system calls") printf "| %s | %.3f |\n", e, value[e] / requests
    }
    printf "| any other call | %.3f |\n", (value["all system calls"] - listed) / requests
    printf "\n"
  }' "$stat_out"
# By thread name (the pool's workers share one), over the same load as perf stat's count; threads that started
# during the run count from zero.
echo "| thread | threads | voluntary switches per request | involuntary per request |"
echo "| --- | ---: | ---: | ---: |"
awk -F'\t' -v r="$stat_requests" '
  FILENAME == ARGV[1] { vol0[$1] = $3; invol0[$1] = $4; next }
  {
    if (!($2 in threads)) names[++n] = $2
    threads[$2]++; vol[$2] += $3 - vol0[$1]; invol[$2] += $4 - invol0[$1]
  }
  END {
    for (i = 1; i <= n; i++) {
      t = names[i]
      if ((vol[t] + invol[t]) / r >= 0.001) printf "%.6f\t| %s | %d | %.3f | %.3f |\n", (vol[t] + invol[t]) / r, t, threads[t], vol[t] / r, invol[t] / r
    }
  }' "$WORK/switches-before.tsv" "$WORK/switches-after.tsv" | sort -gr | cut -f2-
echo
us_per_request=$(awk -F, -v r="$stat_requests" '$3 == "task-clock" { printf "%.3f", $1 * 1000 / r }' "$stat_out")

awk -v us="$us_per_request" -f "$BENCH_DIR/lib/profile.awk" "$WORK/perf.script"
echo
echo "Sampled at 2,999 Hz over ${duration} s ($record_requests requests); µs columns are each share of the samples times perf stat's busy CPU per request."
if ((sources)); then
  echo
  echo "### Where the allocated bytes came from ($sources_requests requests in ${duration} s, probe events on)"
  echo
  echo "| source | per request |"
  echo "| --- | ---: |"
  # The total and the ten largest types by the GC's samples (one about every 100 KB; the probe's own event objects,
  # EventWrittenEventArgs and the like, are among them), then every ArrayPool figure in buffers.
  awk -F'\t' -v r="$sources_requests" '
    $2 ~ /^ArrayPool/ { pool[++n] = sprintf("| %s | %.2f buffers |", $2, $1 / r); next }
    ++types <= 11 { printf "| %s | %.0f B |\n", $2, $1 / r }
    END { for (i = 1; i <= n; i++) print pool[i] }' "$WORK/allocation-sources.txt"
fi
