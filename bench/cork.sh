#!/usr/bin/env bash
# Cork vs MSG_MORE: StaticHostApp on the epoll transport (ApplicationSchedulingMode ThreadPool) with
# EpollTransport:Cork=false (headers before a sendfile body go out with MSG_MORE) against Cork=true (TCP_CORK
# set before the headers, cleared after the body), on the 13 B, 64 KiB and 1 MiB files.
#
#   bench/cork.sh               # 3 alternating rounds of 10 s per file and setting, then strace; ~10 minutes
#
# Options:
#   --rounds N        rounds (default 3); the order of the two settings alternates every round
#   --duration S      seconds of each counted wrk run (default 10)
#   --out FILE        the Markdown report (default bench/results/<UTC date>-cork.md)
#
# Environment:
#   BENCH_PORT_BASE   first of the two 127.0.0.1 ports used (default 18090)
#
# Same placement and tools as bench/run.sh (run bench/setup.sh first): the server on CPU 0, wrk -t1 -c64 on
# CPU 1; the server's utime+stime from /proc around each counted run; then, per setting and file, strace -c -f
# attached to a warmed-up server for a 5 s wrk run, calls divided by the requests completed. It publishes the
# app into bench/scratch/app like run.sh does, so do not run both at once. Every process it starts is killed on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
rounds=3 duration=10 out=""
while (($#)); do
  case "$1" in
    --rounds) rounds=${2:?}; shift ;;
    --duration) duration=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "cork.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
: "${out:=$BENCH_DIR/results/$(date -u +%Y-%m-%d)-cork.md}"

SERVER_CPU=0 CLIENT_CPU=1 WARMUP_START=10 WARMUP_EACH=3 STRACE_DURATION=5
PORT_BASE=${BENCH_PORT_BASE:-18090}
HOST_HEADER="bench.test"
SETTINGS=(msgmore cork)
declare -A CORK=([msgmore]=false [cork]=true)
declare -A LABEL=([msgmore]="Cork=false (MSG_MORE)" [cork]="Cork=true (TCP_CORK)")
declare -A PORT=([msgmore]=$PORT_BASE [cork]=$((PORT_BASE + 1)))
FILES=(13B.txt 64KiB.txt 1MiB.txt)
declare -A SIZE=([13B.txt]=13 [64KiB.txt]=65536 [1MiB.txt]=1048576)
TRACED="setsockopt sendto sendmsg sendfile epoll_wait recvfrom"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in wrk strace taskset cc dotnet setsid timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run bench/setup.sh first"
done
(($(nproc) >= 2)) || die "needs at least 2 CPUs"

declare -A GROUPS_STARTED=()
kill_group() { # pgid: TERM, up to 10 s grace, then KILL
  local pgid=$1 i
  unset "GROUPS_STARTED[$pgid]"
  kill -TERM -- "-$pgid" 2>/dev/null || { wait "$pgid" 2>/dev/null || true; return 0; }
  for ((i = 0; i < 100; i++)); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
}
cleanup() { local pgid; for pgid in "${!GROUPS_STARTED[@]}"; do kill_group "$pgid"; done; }
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
spawn() { # logfile command... (new process group, recorded for cleanup)
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  SPAWNED=$!
  GROUPS_STARTED[$SPAWNED]=1
}
cpu_ticks() { local f; read -ra f <<<"$(sed 's/^.*) //' "/proc/$1/stat")"; echo $((f[11] + f[12])); }
field() { local kv; for kv in $1; do [[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }; done; echo 0; }

run_wrk() { # port file seconds -> WRK_RESULT
  local out="$WORK/logs/cork-wrk.out"
  spawn "$out" timeout -k 5 $(($3 + 60)) taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d"$3s" --timeout 10s \
    -H "Host: $HOST_HEADER" -s "$BENCH_DIR/lua/report.lua" "http://127.0.0.1:$1/$2"
  local pid=$SPAWNED
  wait "$pid" || true
  unset "GROUPS_STARTED[$pid]"
  WRK_RESULT=$(grep '^WRK_RESULT' "$out") || { cat "$out" >&2; die "wrk produced no result for $2"; }
}

start_server() { # setting
  local s=$1 port=${PORT[$1]} i probe=""
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "127.0.0.1:$port is already in use (set BENCH_PORT_BASE)"
  spawn "$WORK/logs/cork-$s.log" taskset -c "$SERVER_CPU" env ASPNETCORE_ENVIRONMENT=Production \
    dotnet "$WORK/app/StaticHostApp.dll" --urls "http://127.0.0.1:$port" \
    "--StaticHost:Sites:0:Hosts:0=$HOST_HEADER" "--StaticHost:Sites:0:Root=$WORK/www" \
    "--StaticHost:DefaultSite=$HOST_HEADER" --Logging:LogLevel:Default=Warning \
    --Logging:LogLevel:Microsoft.AspNetCore=Warning --StaticHost:RequestLog:Enabled=false \
    --EpollTransport:ApplicationSchedulingMode=ThreadPool "--EpollTransport:Cork=${CORK[$s]}"
  SERVER_PID=$SPAWNED
  for ((i = 0; i < 300; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "$s exited during start-up (log: bench/scratch/logs/cork-$s.log)"
    probe=$("$WORK/idleclient" "$port" /13B.txt 1 0 2>/dev/null) && break
    sleep 0.1
  done
  [[ $probe == *"ok=1"* ]] || die "$s did not serve /13B.txt within 30 s"
  grep -q '^epoll-' /proc/"$SERVER_PID"/task/*/comm || die "$s: no epoll-N threads; the epoll transport is not in use"
  run_wrk "$port" 64KiB.txt "$WARMUP_START"
}

# ---------------------------------------------------------------------------------------------- preparation

mkdir -p "$WORK/logs" "$(dirname "$out")"
log "publishing StaticHostApp (Release) into bench/scratch/app"
dotnet publish "$REPO_DIR/src/StaticHostApp" -c Release -o "$WORK/app" --artifacts-path "$WORK/artifacts" \
  -nologo -v quiet >"$WORK/logs/publish.log" 2>&1 || die "dotnet publish failed (log: bench/scratch/logs/publish.log)"
cc -O2 -Wall -Wextra -o "$WORK/idleclient" "$BENCH_DIR/idleclient.c"
mkdir -p "$WORK/www"
printf 'Hello, world\n' >"$WORK/www/13B.txt"
for f in 64KiB.txt 1MiB.txt; do # same generator as run.sh
  [[ -f $WORK/www/$f && $(stat -c %s "$WORK/www/$f") == "${SIZE[$f]}" ]] && continue
  head -c $((SIZE[$f] * 57 / 77 + 114)) /dev/urandom | base64 -w 76 >"$WORK/www/$f"
  truncate -s "${SIZE[$f]}" "$WORK/www/$f"
done
commit=$(git -C "$REPO_DIR" rev-parse --short HEAD)
git -C "$REPO_DIR" diff --quiet HEAD -- src || commit+=" (src/ has uncommitted changes)"
RAW="$WORK/cork-raw.tsv" SC="$WORK/cork-syscalls.tsv"
printf 'round\tsetting\tfile\trequests\tduration_us\tcpu_ticks\terrors\n' >"$RAW"
printf 'setting\tfile\trequests\tsyscall\tcalls\n' >"$SC"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------- throughput

for ((round = 1; round <= rounds; round++)); do
  order=("${SETTINGS[@]}")
  ((round % 2 == 0)) && order=("${SETTINGS[1]}" "${SETTINGS[0]}")
  for s in "${order[@]}"; do
    log "round $round/$rounds: ${LABEL[$s]}"
    start_server "$s"
    for f in "${FILES[@]}"; do
      run_wrk "${PORT[$s]}" "$f" "$WARMUP_EACH"
      before=$(cpu_ticks "$SERVER_PID")
      run_wrk "${PORT[$s]}" "$f" "$duration"
      after=$(cpu_ticks "$SERVER_PID")
      r=$WRK_RESULT
      errors=$(($(field "$r" connect) + $(field "$r" read) + $(field "$r" write) + $(field "$r" timeout) + $(field "$r" status)))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$s" "$f" "$(field "$r" requests)" "$(field "$r" duration_us)" \
        "$((after - before))" "$errors" >>"$RAW"
      log "  $f: $(field "$r" requests) requests, $errors errors"
    done
    kill_group "$SERVER_PID"
  done
done

# ---------------------------------------------------------------------------------------------- syscalls

for s in "${SETTINGS[@]}"; do
  log "syscalls: ${LABEL[$s]}"
  start_server "$s"
  for f in "${FILES[@]}"; do
    run_wrk "${PORT[$s]}" "$f" "$WARMUP_EACH"
    sleep 1
    trace="$WORK/logs/cork-strace-$s-$f.txt"
    spawn "$trace.err" strace -c -f -o "$trace" -p "$SERVER_PID"
    tracer=$SPAWNED
    for ((i = 0; i < 50; i++)); do grep -q attached "$trace.err" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    run_wrk "${PORT[$s]}" "$f" "$STRACE_DURATION"
    kill -INT "$tracer" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$tracer" 2>/dev/null || break; sleep 0.1; done
    kill_group "$tracer"
    awk -v s="$s" -v f="$f" -v r="$(field "$WRK_RESULT" requests)" \
      '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ { printf "%s\t%s\t%s\t%s\t%s\n", s, f, r, $NF, $4 }' "$trace" >>"$SC"
  done
  kill_group "$SERVER_PID"
done

# ---------------------------------------------------------------------------------------------- report

awk -F'\t' -v files="${FILES[*]}" -v traced="$TRACED" -v clk="$(getconf CLK_TCK)" \
  -v lm="${LABEL[msgmore]}" -v lc="${LABEL[cork]}" -v commit="$commit" -v load="$load_at_start" \
  -v rounds="$rounds" -v duration="$duration" -v kernel="$(uname -sr)" -v dotnet="$(dotnet --version)" '
function sortv(a, n,    i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(a, n) { sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function int_commas(x,    s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
FNR == 1 { file++; next }
file == 1 {
  k = $3 SUBSEP $2; n = ++N[k]
  RPS[k, n] = $5 > 0 ? $4 / ($5 / 1e6) : 0; CPU[k, n] = $4 > 0 ? $6 / clk / $4 * 1000 : 0; ERR[k] += $7
  ROUND[$3, $2, $1] = RPS[k, n]; if ($1 > maxr) maxr = $1
  next
}
file == 2 { REQ[$2, $1] = $3; CALLS[$2, $1, $4] += $5; if ($4 != "total") TOT[$2, $1] += $5 }
END {
  nf = split(files, F, " "); nt = split(traced, T, " "); S[1] = "msgmore"; S[2] = "cork"; L[1] = lm; L[2] = lc
  print "# Cork vs MSG_MORE: epoll transport (ThreadPool), sendfile bodies"
  print ""
  print "Commit " commit ", " kernel ", .NET SDK " dotnet ", load average at start " load "."
  print "StaticHostApp with `--EpollTransport:ApplicationSchedulingMode=ThreadPool` and `--EpollTransport:Cork=false` (the headers before a sendfile body are sent with `MSG_MORE`) or `=true` (TCP_CORK set before the headers, cleared after the body); SendFile on (its default)."
  print "Server on CPU 0, `wrk -t1 -c64` on CPU 1; " rounds " rounds, the order of the two settings alternating per round; each round starts the server fresh and loads it for 10 s, then each file gets a 3 s warm-up and a counted " duration " s run. CPU is the server process utime+stime across the counted run. Written by `bench/cork.sh`."
  print ""
  print "## Requests per second (median, min–max over rounds)"
  print ""
  print "| File | " lm " | " lc " | Cork / MSG_MORE (per round; median, min–max) | CPU-s / 1k req, MSG_MORE | CPU-s / 1k req, Cork | errors |"
  print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for (i = 1; i <= nf; i++) {
    f = F[i]; line = "| " f
    for (j = 1; j <= 2; j++) {
      k = f SUBSEP S[j]; n = N[k]
      for (x = 1; x <= n; x++) v[x] = RPS[k, x]
      m = med(v, n); line = line " | " int_commas(m) " (" int_commas(v[1]) "–" int_commas(v[n]) ")"
      for (x = 1; x <= n; x++) c[x] = CPU[k, x]
      CM[j] = med(c, n)
    }
    nr = 0
    for (r = 1; r <= maxr; r++) if (ROUND[f, "msgmore", r] > 0 && ((f, "cork", r) in ROUND)) q[++nr] = ROUND[f, "cork", r] / ROUND[f, "msgmore", r]
    m = med(q, nr) # sorts q
    line = line " | " sprintf("%.2f (%.2f–%.2f)", m, q[1], q[nr]) " | " sprintf("%.3f", CM[1]) " | " sprintf("%.3f", CM[2])
    print line " | " ERR[f SUBSEP "msgmore"] + ERR[f SUBSEP "cork"] " |"
  }
  print ""
  print "## System calls per response"
  print ""
  print "strace -c -f attached to a freshly started, warmed-up server for one 5 s wrk run per file; calls divided by the responses wrk completed. Tracing slows the server a lot (fewer requests per `epoll_wait`), so the counts show the shape of the send path, not exact costs."
  print ""
  hdr = "| File | Setting | responses traced"; sep = "| --- | --- | ---:"
  for (t = 1; t <= nt; t++) { hdr = hdr " | `" T[t] "`"; sep = sep " | ---:" }
  print hdr " | all syscalls |"; print sep " | ---: |"
  for (i = 1; i <= nf; i++) for (j = 1; j <= 2; j++) {
    f = F[i]; s = S[j]; r = REQ[f, s]; line = "| " f " | " L[j] " | " int_commas(r)
    for (t = 1; t <= nt; t++) line = line " | " (r > 0 ? sprintf("%.3f", CALLS[f, s, T[t]] / r) : "–")
    print line " | " (r > 0 ? sprintf("%.2f", TOT[f, s] / r) : "–") " |"
  }
  print ""
  print "## Every counted run"
  print ""
  print "| File | Setting | round | requests/s | CPU-s / 1k req |"
  print "| --- | --- | ---: | ---: | ---: |"
  for (i = 1; i <= nf; i++) for (j = 1; j <= 2; j++) for (x = 1; x <= N[F[i] SUBSEP S[j]]; x++)
    print "| " F[i] " | " L[j] " | " x " | " int_commas(RPS[F[i] SUBSEP S[j], x]) " | " sprintf("%.3f", CPU[F[i] SUBSEP S[j], x]) " |"
}' "$RAW" "$SC" >"$out"
log "done: $out"
