#!/usr/bin/env bash
# A/B benchmark of two commits: StaticHostApp from each, on the epoll transport, serving the same files, in
# alternating rounds on the same machine. For before/after figures of a change on the hot path.
#
#   bench/compare.sh BASE_REV NEW_REV [options]
#
# Options:
#   --rounds N        rounds; each round runs both builds, in alternating order (default 3)
#   --duration S      seconds of each counted wrk run (default 10)
#   --warmup S        seconds of load right after a server starts (default 45: tiered JIT settles late)
#   --workloads LIST  comma-separated subset of 13B,4KiB,64KiB,1MiB,16MiB (default 13B,4KiB,1MiB)
#   --mode MODE       ApplicationSchedulingMode: ThreadPool (default) or Inline
#
# Placement as in run.sh: server pinned to CPU 0, wrk (-t1 -c64) to CPU 1. Each build is published from a
# temporary git worktree into bench/scratch/compare/<commit>. Reported per workload: requests/s of each build
# (median over rounds), the NEW/BASE ratio taken per round (median, min-max), and server CPU-ms per request.
# Run it on a quiet machine (no build or test running).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch/compare"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
(($# >= 2)) || { usage; exit 2; }
base_rev=$1 new_rev=$2
shift 2
rounds=3 duration=10 warmup=45 workloads=13B,4KiB,1MiB mode=ThreadPool
while (($#)); do
  case "$1" in
    --rounds) rounds=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --workloads) workloads=${2:?}; shift ;;
    --mode) mode=${2:?}; shift ;;
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
for load in 4KiB "${loads[@]}"; do # 4 KiB is also the warm-up load
  [[ -n ${SIZE[$load]:-} ]] || { echo "compare.sh: unknown workload '$load'" >&2; exit 2; }
  file="$WORK/www/$load.txt"
  [[ -f $file && $(stat -c %s "$file") == "${SIZE[$load]}" ]] ||
    { head -c $((SIZE[$load] * 3 / 4 + 114)) /dev/urandom | base64 -w 76 >"$file" && truncate -s "${SIZE[$load]}" "$file"; }
done

# Publishes one commit's StaticHostApp; prints the path of its dll.
publish() { # rev
  local commit dir
  commit=$(git -C "$REPO_DIR" rev-parse --short "$1")
  dir="$WORK/$commit"
  if [[ ! -f $dir/app/StaticHostApp.dll ]]; then
    rm -rf "$dir/src"
    git -C "$REPO_DIR" worktree add --detach -q "$dir/src" "$commit"
    dotnet publish "$dir/src/src/StaticHostApp" -c Release -o "$dir/app" >"$dir/publish.log" 2>&1 ||
      { tail -20 "$dir/publish.log" >&2; exit 1; }
    git -C "$REPO_DIR" worktree remove --force "$dir/src"
  fi
  echo "$dir/app/StaticHostApp.dll"
}

cpu_ticks() { local f; read -ra f <<<"$(sed 's/.*) //' "/proc/$1/stat")"; echo $((f[11] + f[12])); }

run_build() { # label dll round
  local label=$1 dll=$2 round=$3 port=18190 load out before after requests
  setsid taskset -c 0 env ASPNETCORE_ENVIRONMENT=Production dotnet "$dll" --urls "http://127.0.0.1:$port" \
    --StaticHost:Sites:0:Hosts:0=bench.test "--StaticHost:Sites:0:Root=$WORK/www" --StaticHost:DefaultSite=bench.test \
    --StaticHost:RequestLog:Enabled=false --Logging:LogLevel:Default=Warning \
    "--EpollTransport:ApplicationSchedulingMode=$mode" >"$WORK/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -sf -o /dev/null -H 'Host: bench.test' "http://127.0.0.1:$port/${loads[0]}.txt" && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c64 -d"${warmup}s" -H 'Host: bench.test' "http://127.0.0.1:$port/4KiB.txt" >/dev/null
  for load in "${loads[@]}"; do
    taskset -c 1 wrk -t1 -c64 -d3s -H 'Host: bench.test' "http://127.0.0.1:$port/$load.txt" >/dev/null
    before=$(cpu_ticks "$SERVER_PID")
    out=$(taskset -c 1 wrk -t1 -c64 -d"${duration}s" --timeout 10s -H 'Host: bench.test' "http://127.0.0.1:$port/$load.txt")
    after=$(cpu_ticks "$SERVER_PID")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    echo "$round $label $load $(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.1f", r / d }') \
$(awk -v t=$((after - before)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", t / hz * 1000 / r }')" >>"$WORK/results.txt"
    log "round $round $label $load: $requests requests"
    grep -q "Non-2xx\|Socket errors" <<<"$out" && log "WARNING: $label $load: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  done
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

log "publishing $base_rev and $new_rev"
base_dll=$(publish "$base_rev")
new_dll=$(publish "$new_rev")
: >"$WORK/results.txt"
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    run_build base "$base_dll" "$r"; run_build new "$new_dll" "$r"
  else
    run_build new "$new_dll" "$r"; run_build base "$base_dll" "$r"
  fi
done

# Medians over rounds; the ratio is taken per round first.
echo "compare: base $(git -C "$REPO_DIR" rev-parse --short "$base_rev"), new $(git -C "$REPO_DIR" rev-parse --short "$new_rev"), mode $mode, $rounds rounds of ${duration}s, warm-up ${warmup}s, wrk -t1 -c64"
echo "| workload | base req/s | new req/s | new/base (median, min-max) | base CPU-ms/req | new CPU-ms/req |"
echo "|---|--:|--:|--:|--:|--:|"
for load in "${loads[@]}"; do
  awk -v load="$load" '
    function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    $3 == load { rps[$2, $1] = $4; cpu[$2, $1] = $5; rounds[$1] = 1 }
    END {
      n = 0; for (r in rounds) { n++; b[n] = rps["base", r]; w[n] = rps["new", r]; q[n] = rps["new", r] / rps["base", r]; cb[n] = cpu["base", r]; cn[n] = cpu["new", r] }
      lo = q[1]; hi = q[1]; for (i = 2; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
      printf "| %s | %.0f | %.0f | %.2f (%.2f-%.2f) | %.4f | %.4f |\n", load, median(b, n), median(w, n), median(q, n), lo, hi, median(cb, n), median(cn, n)
    }' "$WORK/results.txt"
done
