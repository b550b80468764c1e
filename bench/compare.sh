#!/usr/bin/env bash
# A/B benchmark of two commits: StaticHostApp (and, for the plaintext workloads, bench/PlaintextApp) from each, on
# the epoll transport, serving the same files, in alternating rounds on the same machine. For before/after figures
# of a change on the hot path.
#
#   bench/compare.sh BASE_REV NEW_REV [options]
#
# Options:
#   --rounds N        rounds; each round runs both builds, in alternating order (default 3)
#   --duration S      seconds of each counted wrk run (default 10)
#   --warmup S        seconds of load right after a server starts (default 45: tiered JIT settles late)
#   --workloads LIST  comma-separated, of 13B,4KiB,64KiB,1MiB,16MiB,plaintext,plaintext-pipe16 (default
#                     13B,4KiB,1MiB); plaintext = PlaintextApp's 13 B "Hello, World!", plaintext-pipe16 the same
#                     pipelined 16 deep (bench/lua/pipeline.lua); a commit without bench/PlaintextApp (older than it)
#                     is built with this checkout's copy of it, against that commit's transport. A file workload takes
#                     a connection count, FILE-cN (4KiB-c1000, 4KiB-c10000: the script checks the open-files limit
#                     and local ports it needs, raises the soft limit when it can and says what to change when not),
#                     and an https- prefix (https-4KiB, https-1MiB: StaticHostApp over HTTPS/1.1 with a self-signed
#                     certificate, started as a third app per build and round)
#   --mode MODE       ApplicationSchedulingMode: ThreadPool (default) or Inline
#   --base-args ARGS  extra arguments for the base build's apps (space-separated; PlaintextApp ignores StaticHost
#                     keys, both read EpollTransport ones)
#   --new-args ARGS   the same for the new build; with the same commit twice this compares two settings, e.g.
#                     bench/compare.sh HEAD HEAD --new-args --StaticHost:OpenFileCache:Validity=00:00:05
#
# Placement as in run.sh: server pinned to CPU 0, wrk (-t1 -c64 unless the workload says otherwise) to CPU 1. Each
# build is published from a temporary git worktree into bench/scratch/compare/<commit>. In each round each build's
# StaticHostApp runs the static workloads, its PlaintextApp the plaintext ones and its StaticHostApp over HTTPS the
# HTTPS ones, each started fresh and warmed up. Reported per workload: requests/s of each build (median over
# rounds), the NEW/BASE ratio taken per round (median, min-max), server CPU-ms per request, context switches per
# request (every server thread, from /proc/PID/task/*/status) and allocated bytes per request (GC allocation delta
# of the counted run, read through bench/AllocationProbe as in run.sh). Run it on a quiet machine (no build or test
# running).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch/compare"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
(($# >= 2)) || { usage; exit 2; }
base_rev=$1 new_rev=$2
shift 2
rounds=3 duration=10 warmup=45 workloads=13B,4KiB,1MiB mode=ThreadPool base_args="" new_args=""
while (($#)); do
  case "$1" in
    --rounds) rounds=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --workloads) workloads=${2:?}; shift ;;
    --mode) mode=${2:?}; shift ;;
    --base-args) base_args=${2:?}; shift ;;
    --new-args) new_args=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

for tool in wrk taskset setsid dotnet git curl; do
  command -v "$tool" >/dev/null || { echo "compare.sh: '$tool' not found; run bench/setup.sh" >&2; exit 1; }
done

# Process groups (the server and wrk die with the script), connection limits, the HTTPS certificate.
source "$BENCH_DIR/lib/procs.sh"
source "$BENCH_DIR/lib/limits.sh"
source "$BENCH_DIR/lib/tls.sh"
HOST_HEADER=bench.test
SERVER_PID=""

# A file workload's shape: [https-]FILE[-cCONNECTIONS]. Sets scheme, file (13B, 4KiB, ...) and conns.
load_shape() { # load
  local rest=$1
  scheme=http conns=64
  if [[ $rest == https-* ]]; then scheme=https rest=${rest#https-}; fi
  if [[ $rest =~ ^(.+)-c([0-9]+)$ ]]; then rest=${BASH_REMATCH[1]} conns=${BASH_REMATCH[2]}; fi
  file=$rest
}

mkdir -p "$WORK/www"
declare -A SIZE=([13B]=13 [4KiB]=4096 [64KiB]=65536 [1MiB]=1048576 [16MiB]=16777216)
IFS=, read -ra loads <<<"$workloads"
static_loads=() plaintext_loads=() https_loads=()
most_connections=64
for load in "${loads[@]}"; do
  case "$load" in
    plaintext | plaintext-pipe16) plaintext_loads+=("$load") ;;
    https-*) https_loads+=("$load") ;;
    *) static_loads+=("$load") ;;
  esac
done
for load in 4KiB "${static_loads[@]}" "${https_loads[@]}"; do # 4 KiB is also the warm-up load
  load_shape "$load"
  [[ -n ${SIZE[$file]:-} ]] || { echo "compare.sh: unknown workload '$load'" >&2; exit 2; }
  ((conns > most_connections)) && most_connections=$conns
  path="$WORK/www/$file.txt"
  [[ -f $path && $(stat -c %s "$path") == "${SIZE[$file]}" ]] ||
    { head -c $((SIZE[$file] * 3 / 4 + 114)) /dev/urandom | base64 -w 76 >"$path" && truncate -s "${SIZE[$file]}" "$path"; }
done
ensure_connection_limits "$most_connections" "--workloads $workloads"
((${#https_loads[@]} == 0)) || make_tls_cert

# Publishes one commit's StaticHostApp (and PlaintextApp when a plaintext workload is asked for) into
# bench/scratch/compare/<commit>/{app,plaintext}; prints that directory.
publish() { # rev
  local commit dir need_plaintext=0
  commit=$(git -C "$REPO_DIR" rev-parse --short "$1")
  dir="$WORK/$commit"
  ((${#plaintext_loads[@]})) && [[ ! -f $dir/plaintext/PlaintextApp.dll ]] && need_plaintext=1
  if [[ ! -f $dir/app/StaticHostApp.dll ]] || ((need_plaintext)); then
    rm -rf "$dir/src"
    git -C "$REPO_DIR" worktree add --detach -q "$dir/src" "$commit"
    if ((need_plaintext)) && [[ ! -f $dir/src/bench/PlaintextApp/PlaintextApp.csproj ]]; then
      # The app only needs UseEpollTransport() and the EpollTransport configuration section, which older commits have.
      log "$commit has no bench/PlaintextApp: building this checkout's copy against its transport"
      mkdir -p "$dir/src/bench/PlaintextApp"
      cp "$BENCH_DIR/PlaintextApp/PlaintextApp.csproj" "$BENCH_DIR/PlaintextApp/Program.cs" "$dir/src/bench/PlaintextApp/"
    fi
    dotnet publish "$dir/src/src/StaticHostApp" -c Release -o "$dir/app" >"$dir/publish.log" 2>&1 ||
      { tail -20 "$dir/publish.log" >&2; git -C "$REPO_DIR" worktree remove --force "$dir/src"; exit 1; }
    if ((need_plaintext)); then
      dotnet publish "$dir/src/bench/PlaintextApp" -c Release -o "$dir/plaintext" >>"$dir/publish.log" 2>&1 ||
        { tail -20 "$dir/publish.log" >&2; git -C "$REPO_DIR" worktree remove --force "$dir/src"; exit 1; }
    fi
    git -C "$REPO_DIR" worktree remove --force "$dir/src"
  fi
  echo "$dir"
}

# The allocation probe (a startup hook, the same for both builds) comes from this checkout.
PROBE_DLL="$WORK/probe/AllocationProbe.dll"
ALLOCATION_FILE="$WORK/allocated.txt"
allocated_bytes() { # pid: the server's total allocated bytes so far, or nothing if the probe does not answer
  local i
  rm -f "$ALLOCATION_FILE"
  kill -USR2 "$1" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    [[ -s $ALLOCATION_FILE ]] && { cat "$ALLOCATION_FILE"; return 0; }
    sleep 0.1
  done
}

wrk_load() { # port load seconds [extra wrk options]: the wrk command line of one workload
  local port=$1 load=$2 seconds=$3 scheme file conns
  shift 3
  case "$load" in
    plaintext) taskset -c 1 wrk -t1 -c64 -d"${seconds}s" "$@" "http://127.0.0.1:$port/plaintext" ;;
    plaintext-pipe16) taskset -c 1 wrk -t1 -c64 -d"${seconds}s" "$@" -s "$BENCH_DIR/lua/pipeline.lua" "http://127.0.0.1:$port/plaintext" -- 16 ;;
    *)
      load_shape "$load"
      taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" "$@" -H "Host: $HOST_HEADER" "$scheme://127.0.0.1:$port/$file.txt" ;;
  esac
}

# Runs one build's app (static: StaticHostApp, plaintext: PlaintextApp, https: StaticHostApp over HTTPS/1.1) through
# its workloads: start, warm-up, then per workload a 3 s warm-up and the counted run; appends
# "round label load req/s cpu-ms/req alloc-B/req context-switches/req".
run_app() { # label build-dir round extra-args app load...
  local label=$1 dir=$2 round=$3 app=$5 port=18190 load out before after requests alloc_before alloc_after
  local -a extra cmd
  read -ra extra <<<"$4"
  shift 5
  local scheme=http ready_path=/4KiB.txt warmup_load=4KiB
  [[ $app == https ]] && scheme=https warmup_load=https-4KiB
  if [[ $app == plaintext ]]; then
    cmd=("$dir/plaintext/PlaintextApp.dll" --urls "http://127.0.0.1:$port" --transport epoll)
    ready_path=/plaintext warmup_load=plaintext
  else
    cmd=("$dir/app/StaticHostApp.dll" --urls "$scheme://127.0.0.1:$port"
      "--StaticHost:Sites:0:Hosts:0=$HOST_HEADER" "--StaticHost:Sites:0:Root=$WORK/www" "--StaticHost:DefaultSite=$HOST_HEADER"
      --StaticHost:RequestLog:Enabled=false --Logging:LogLevel:Default=Warning)
    # As in run.sh: Kestrel reads the PEM files itself; wrk offers no ALPN, Http1 makes that explicit.
    [[ $app == https ]] && cmd+=("--Kestrel:Certificates:Default:Path=$TLS_CERT" "--Kestrel:Certificates:Default:KeyPath=$TLS_KEY"
      --Kestrel:EndpointDefaults:Protocols=Http1)
  fi
  spawn "$WORK/server.log" taskset -c 0 env ASPNETCORE_ENVIRONMENT=Production "DOTNET_STARTUP_HOOKS=$PROBE_DLL" \
    "BENCH_ALLOCATION_FILE=$ALLOCATION_FILE" dotnet "${cmd[@]}" \
    "--EpollTransport:ApplicationSchedulingMode=$mode" "${extra[@]}"
  SERVER_PID=$SPAWNED
  for _ in $(seq 300); do curl -skf -o /dev/null -H "Host: $HOST_HEADER" "$scheme://127.0.0.1:$port$ready_path" && break; sleep 0.1; done
  wrk_load "$port" "$warmup_load" "$warmup" >/dev/null
  for load in "$@"; do
    wrk_load "$port" "$load" 3 >/dev/null
    alloc_before=$(allocated_bytes "$SERVER_PID")
    before=$(cpu_ticks "$SERVER_PID")
    switches_before=$(ctxt_switches "$SERVER_PID")
    out=$(wrk_load "$port" "$load" "$duration" --timeout 10s)
    switches_after=$(ctxt_switches "$SERVER_PID")
    after=$(cpu_ticks "$SERVER_PID")
    alloc_after=$(allocated_bytes "$SERVER_PID")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    echo "$round $label $load $(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.1f", r / d }') \
$(awk -v t=$((after - before)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", t / hz * 1000 / r }') \
$(awk -v a="${alloc_before:-x}" -v b="${alloc_after:-x}" -v r="$requests" 'BEGIN { if (a == "x" || b == "x") print "-"; else printf "%.1f", (b - a) / r }') \
$(awk -v c=$((switches_after - switches_before)) -v r="$requests" 'BEGIN { printf "%.3f", c / r }')" >>"$WORK/results.txt"
    log "round $round $label $load: $requests requests"
    grep -q "Non-2xx\|Socket errors" <<<"$out" && log "WARNING: $label $load: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  done
  kill_group "$SERVER_PID"
  SERVER_PID=""
}

run_build() { # label build-dir round extra-args
  ((${#static_loads[@]} == 0)) || run_app "$1" "$2" "$3" "$4" static "${static_loads[@]}"
  ((${#plaintext_loads[@]} == 0)) || run_app "$1" "$2" "$3" "$4" plaintext "${plaintext_loads[@]}"
  ((${#https_loads[@]} == 0)) || run_app "$1" "$2" "$3" "$4" https "${https_loads[@]}"
}

log "publishing $base_rev and $new_rev"
base_dir=$(publish "$base_rev")
new_dir=$(publish "$new_rev")
dotnet publish "$BENCH_DIR/AllocationProbe" -c Release -o "$WORK/probe" --artifacts-path "$WORK/probe-artifacts" \
  -nologo -v quiet >"$WORK/probe-publish.log" 2>&1 || { tail -20 "$WORK/probe-publish.log" >&2; exit 1; }
: >"$WORK/results.txt"
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    run_build base "$base_dir" "$r" "$base_args"; run_build new "$new_dir" "$r" "$new_args"
  else
    run_build new "$new_dir" "$r" "$new_args"; run_build base "$base_dir" "$r" "$base_args"
  fi
done

# Medians over rounds; the ratio is taken per round first.
echo "compare: base $(git -C "$REPO_DIR" rev-parse --short "$base_rev"), new $(git -C "$REPO_DIR" rev-parse --short "$new_rev"), mode $mode${base_args:+, base args: $base_args}${new_args:+, new args: $new_args}, $rounds rounds of ${duration}s, warm-up ${warmup}s, wrk -t1 -c64 (FILE-cN: -cN)"
echo "| workload | base req/s | new req/s | new/base (median, min-max) | base CPU-ms/req | new CPU-ms/req | base ctx switches/req | new ctx switches/req | base alloc B/req | new alloc B/req |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for load in "${loads[@]}"; do
  awk -v load="$load" '
    function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    $3 == load { rps[$2, $1] = $4; cpu[$2, $1] = $5; alloc[$2, $1] = $6; csw[$2, $1] = $7; rounds[$1] = 1 }
    END {
      n = 0; na = 0
      for (r in rounds) {
        n++; b[n] = rps["base", r]; w[n] = rps["new", r]; q[n] = rps["new", r] / rps["base", r]; cb[n] = cpu["base", r]; cn[n] = cpu["new", r]
        sb[n] = csw["base", r]; sn[n] = csw["new", r]
        if (alloc["base", r] != "-" && alloc["new", r] != "-") { na++; ab[na] = alloc["base", r]; an[na] = alloc["new", r] }
      }
      lo = q[1]; hi = q[1]; for (i = 2; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
      printf "| %s | %.0f | %.0f | %.2f (%.2f-%.2f) | %.4f | %.4f | %.3f | %.3f | %s | %s |\n", load, median(b, n), median(w, n), median(q, n), lo, hi, median(cb, n), median(cn, n), median(sb, n), median(sn, n),
        na ? sprintf("%.0f", median(ab, na)) : "-", na ? sprintf("%.0f", median(an, na)) : "-"
    }' "$WORK/results.txt"
done
