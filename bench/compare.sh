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
#   --workloads LIST  comma-separated subset of 13B,4KiB,64KiB,1MiB,16MiB,plaintext,plaintext-pipe16
#                     (default 13B,4KiB,1MiB); plaintext = PlaintextApp's 13 B "Hello, World!", plaintext-pipe16 the
#                     same pipelined 16 deep (bench/lua/pipeline.lua); a commit without bench/PlaintextApp (older
#                     than it) is built with this checkout's copy of it, against that commit's transport
#   --mode MODE       ApplicationSchedulingMode: ThreadPool (default) or Inline
#   --base-args ARGS  extra arguments for the base build's apps (space-separated; PlaintextApp ignores StaticHost
#                     keys, both read EpollTransport ones)
#   --new-args ARGS   the same for the new build; with the same commit twice this compares two settings, e.g.
#                     bench/compare.sh HEAD HEAD --new-args --StaticHost:OpenFileCache:Validity=00:00:05
#
# Placement as in run.sh: server pinned to CPU 0, wrk (-t1 -c64) to CPU 1. Each build is published from a
# temporary git worktree into bench/scratch/compare/<commit>. In each round each build's StaticHostApp runs the
# static workloads and its PlaintextApp the plaintext ones, each started fresh and warmed up. Reported per workload:
# requests/s of each build (median over rounds), the NEW/BASE ratio taken per round (median, min-max), server CPU-ms
# per request, and allocated bytes per request (GC allocation delta of the counted run, read through
# bench/AllocationProbe as in run.sh). Run it on a quiet machine (no build or test running).
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

for tool in wrk taskset setsid dotnet git; do
  command -v "$tool" >/dev/null || { echo "compare.sh: '$tool' not found; run bench/setup.sh" >&2; exit 1; }
done

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
SERVER_PID=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM -- "-$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/www"
declare -A SIZE=([13B]=13 [4KiB]=4096 [64KiB]=65536 [1MiB]=1048576 [16MiB]=16777216)
IFS=, read -ra loads <<<"$workloads"
static_loads=() plaintext_loads=()
for load in "${loads[@]}"; do
  case "$load" in
    plaintext | plaintext-pipe16) plaintext_loads+=("$load") ;;
    *) static_loads+=("$load") ;;
  esac
done
for load in 4KiB "${static_loads[@]}"; do # 4 KiB is also the warm-up load
  [[ -n ${SIZE[$load]:-} ]] || { echo "compare.sh: unknown workload '$load'" >&2; exit 2; }
  file="$WORK/www/$load.txt"
  [[ -f $file && $(stat -c %s "$file") == "${SIZE[$load]}" ]] ||
    { head -c $((SIZE[$load] * 3 / 4 + 114)) /dev/urandom | base64 -w 76 >"$file" && truncate -s "${SIZE[$load]}" "$file"; }
done

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
  local port=$1 load=$2 seconds=$3
  shift 3
  case "$load" in
    plaintext) taskset -c 1 wrk -t1 -c64 -d"${seconds}s" "$@" "http://127.0.0.1:$port/plaintext" ;;
    plaintext-pipe16) taskset -c 1 wrk -t1 -c64 -d"${seconds}s" "$@" -s "$BENCH_DIR/lua/pipeline.lua" "http://127.0.0.1:$port/plaintext" -- 16 ;;
    *) taskset -c 1 wrk -t1 -c64 -d"${seconds}s" "$@" -H 'Host: bench.test' "http://127.0.0.1:$port/$load.txt" ;;
  esac
}

cpu_ticks() { local f; read -ra f <<<"$(sed 's/.*) //' "/proc/$1/stat")"; echo $((f[11] + f[12])); }

# Runs one build's app (static: StaticHostApp, plaintext: PlaintextApp) through its workloads: start, warm-up, then
# per workload a 3 s warm-up and the counted run; appends "round label load req/s cpu-ms/req alloc-B/req".
run_app() { # label build-dir round extra-args app load...
  local label=$1 dir=$2 round=$3 app=$5 port=18190 load out before after requests alloc_before alloc_after
  local -a extra cmd
  read -ra extra <<<"$4"
  shift 5
  if [[ $app == plaintext ]]; then
    cmd=("$dir/plaintext/PlaintextApp.dll" --urls "http://127.0.0.1:$port" --transport epoll)
  else
    cmd=("$dir/app/StaticHostApp.dll" --urls "http://127.0.0.1:$port"
      --StaticHost:Sites:0:Hosts:0=bench.test "--StaticHost:Sites:0:Root=$WORK/www" --StaticHost:DefaultSite=bench.test
      --StaticHost:RequestLog:Enabled=false --Logging:LogLevel:Default=Warning)
  fi
  setsid taskset -c 0 env ASPNETCORE_ENVIRONMENT=Production "DOTNET_STARTUP_HOOKS=$PROBE_DLL" \
    "BENCH_ALLOCATION_FILE=$ALLOCATION_FILE" dotnet "${cmd[@]}" \
    "--EpollTransport:ApplicationSchedulingMode=$mode" "${extra[@]}" >"$WORK/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  local ready_path=/plaintext
  [[ $app == static ]] && ready_path=/4KiB.txt
  for _ in $(seq 300); do curl -sf -o /dev/null -H 'Host: bench.test' "http://127.0.0.1:$port$ready_path" && break; sleep 0.1; done
  if [[ $app == plaintext ]]; then wrk_load "$port" plaintext "$warmup" >/dev/null; else wrk_load "$port" 4KiB "$warmup" >/dev/null; fi
  for load in "$@"; do
    wrk_load "$port" "$load" 3 >/dev/null
    alloc_before=$(allocated_bytes "$SERVER_PID")
    before=$(cpu_ticks "$SERVER_PID")
    out=$(wrk_load "$port" "$load" "$duration" --timeout 10s)
    after=$(cpu_ticks "$SERVER_PID")
    alloc_after=$(allocated_bytes "$SERVER_PID")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    echo "$round $label $load $(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.1f", r / d }') \
$(awk -v t=$((after - before)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", t / hz * 1000 / r }') \
$(awk -v a="${alloc_before:-x}" -v b="${alloc_after:-x}" -v r="$requests" 'BEGIN { if (a == "x" || b == "x") print "-"; else printf "%.1f", (b - a) / r }')" >>"$WORK/results.txt"
    log "round $round $label $load: $requests requests"
    grep -q "Non-2xx\|Socket errors" <<<"$out" && log "WARNING: $label $load: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  done
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

run_build() { # label build-dir round extra-args
  ((${#static_loads[@]} == 0)) || run_app "$1" "$2" "$3" "$4" static "${static_loads[@]}"
  ((${#plaintext_loads[@]} == 0)) || run_app "$1" "$2" "$3" "$4" plaintext "${plaintext_loads[@]}"
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
echo "compare: base $(git -C "$REPO_DIR" rev-parse --short "$base_rev"), new $(git -C "$REPO_DIR" rev-parse --short "$new_rev"), mode $mode${base_args:+, base args: $base_args}${new_args:+, new args: $new_args}, $rounds rounds of ${duration}s, warm-up ${warmup}s, wrk -t1 -c64"
echo "| workload | base req/s | new req/s | new/base (median, min-max) | base CPU-ms/req | new CPU-ms/req | base alloc B/req | new alloc B/req |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
for load in "${loads[@]}"; do
  awk -v load="$load" '
    function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    $3 == load { rps[$2, $1] = $4; cpu[$2, $1] = $5; alloc[$2, $1] = $6; rounds[$1] = 1 }
    END {
      n = 0; na = 0
      for (r in rounds) {
        n++; b[n] = rps["base", r]; w[n] = rps["new", r]; q[n] = rps["new", r] / rps["base", r]; cb[n] = cpu["base", r]; cn[n] = cpu["new", r]
        if (alloc["base", r] != "-" && alloc["new", r] != "-") { na++; ab[na] = alloc["base", r]; an[na] = alloc["new", r] }
      }
      lo = q[1]; hi = q[1]; for (i = 2; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
      printf "| %s | %.0f | %.0f | %.2f (%.2f-%.2f) | %.4f | %.4f | %s | %s |\n", load, median(b, n), median(w, n), median(q, n), lo, hi, median(cb, n), median(cn, n),
        na ? sprintf("%.0f", median(ab, na)) : "-", na ? sprintf("%.0f", median(an, na)) : "-"
    }' "$WORK/results.txt"
done
