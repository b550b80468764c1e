#!/usr/bin/env bash
# Idle-connection memory probe: the server's RSS per idle keep-alive connection, at N connections that each completed
# one request, measured at three layers, and the RSS some time after those connections closed.
#
#   bench/idle-memory.sh                      # 10,000 connections, 2 rounds: about 25 minutes
#   bench/idle-memory.sh --connections 1000 --rounds 1 --warmup 2 --after-close 5 --out bench/scratch/results
#                                             # smoke check, about 4 minutes
#
# Layers (--layers, comma-separated; default static,connection,transport):
#   static       HTTP: StaticHostApp; each connection GETs /13B.txt once (nginx: the same file)
#   plaintext    HTTP: bench/PlaintextApp; each connection GETs /plaintext once (nginx: its return 200)
#   connection   Kestrel with a ConnectionHandler that only drains its input (bench/IdleProbe), no HTTP; each
#                connection sends one request and gets no answer
#   transport    the transport alone (bench/IdleProbe): its IConnectionListenerFactory binds, accepts and keeps a read
#                pending on every connection, no Kestrel server; each connection sends one request. This is the
#                transport's own share.
#   transport-direct  the same with the factory constructed directly, as a program without a host would: epoll
#                without Kestrel's memory pool (MemoryPool<byte>.Shared) and meter factory, Sockets with default
#                options. Not in the default set; set against 'transport' it shows what the host's pool costs.
# Servers (--servers; default epoll,sockets,nginx; also epoll-inline, epoll-cork): nginx has only the HTTP layers.
#
# Options:
#   --connections N   idle connections (default 10000)
#   --rounds N        rounds; each measures every layer on every server, in an order rotated per round (default 2)
#   --warmup S        seconds of wrk load (HTTP layers) before anything is measured, so tiered JIT and the pools are
#                     past their start-up; below HTTP, 20 bursts of 64 connections (default 10)
#   --settle S        seconds between the last connection's request and the RSS reading (default 5)
#   --after-close S   seconds after the connections closed (with a reset) until the last RSS reading (default 60)
#   --file-cache on|off  StaticHostApp's and nginx's open-file cache, as in run.sh (default on)
#   --out DIR         where <UTC date>-<commit>-idle-memory.{md,tsv} go (default bench/results)
#   --report FILE     write the Markdown there instead (bench/run.sh's phase), the TSV next to it
#   --no-publish      use the apps already published into bench/scratch (bench/run.sh has just done it)
#
# Each measurement starts the server fresh, pinned to CPU 0 (the clients to CPU 1), warms it up, reads its VmRSS
# (nginx: master + worker), has bench/idleclient.c open the connections one after another, waits until the server
# holds all of them with nothing left unread (ss), reads VmRSS again after --settle, closes them all, and reads VmRSS
# --after-close seconds later. Per connection = (RSS with N idle - RSS before connecting) / N.
# Needs wrk, ss, taskset and a C compiler (bench/setup.sh).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

connections=10000 rounds=2 warmup=10 settle=5 after_close=60 file_cache=on out_dir="$BENCH_DIR/results" report=""
publish_apps=1 layer_list=static,connection,transport server_list=epoll,sockets,nginx
while (($#)); do
  case "$1" in
    --connections) connections=${2:?}; shift ;;
    --layers) layer_list=${2:?}; shift ;;
    --servers) server_list=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --settle) settle=${2:?}; shift ;;
    --after-close) after_close=${2:?}; shift ;;
    --file-cache) file_cache=${2:?}; shift ;;
    --out) out_dir=${2:?}; shift ;;
    --report) report=${2:?}; shift ;;
    --no-publish) publish_apps=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "idle-memory.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

source "$BENCH_DIR/lib/procs.sh"
source "$BENCH_DIR/lib/servers.sh"
source "$BENCH_DIR/lib/limits.sh"

[[ $file_cache == on || $file_cache == off ]] || die "--file-cache takes on or off, not '$file_cache'"
((connections > 0 && rounds > 0)) || die "--connections and --rounds must be positive"
IFS=, read -ra LAYERS <<<"$layer_list"
for layer in "${LAYERS[@]}"; do
  [[ $layer =~ ^(static|plaintext|connection|transport|transport-direct)$ ]] || die "unknown layer '$layer' (see --help)"
done
IFS=, read -ra SERVERS <<<"$server_list"
for server in "${SERVERS[@]}"; do
  [[ " ${KNOWN_SERVERS[*]} " == *" $server "* ]] || die "unknown server '$server'"
done
for tool in wrk ss taskset cc dotnet setsid "$NGINX_BIN"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run bench/setup.sh first"
done

NOTES_FILE="$WORK/idle-memory-notes.txt"
mkdir -p "$WORK/logs"
: >"$NOTES_FILE"
ensure_connection_limits "$connections" "$connections idle connections"

if ((publish_apps)); then
  publish "$REPO_DIR/src/StaticHostApp" "$WORK/app"
  publish "$REPO_DIR/bench/PlaintextApp" "$WORK/plaintext"
  publish "$REPO_DIR/bench/AllocationProbe" "$WORK/probe"
fi
# Published here in any case: bench/run.sh publishes only what its other phases use.
publish "$REPO_DIR/bench/IdleProbe" "$WORK/idleprobe"
read_app_settings
build_idleclient
write_www
write_nginx_conf

commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -z $report ]]; then
  mkdir -p "$out_dir"
  report="$out_dir/$(date -u +%Y-%m-%d)-$commit-idle-memory.md"
fi
RAW="${report%.md}.tsv"
printf 'round\tlayer\tserver\tconnections\trss_before_kib\trss_idle_kib\trss_after_close_kib\n' >"$RAW"

# ---------------------------------------------------------------------------------------------- measuring

# Loads a freshly started server before the baseline reading, so what the first requests allocate once (JIT,
# tiering, pools, caches) is not counted per connection. HTTP: wrk with 64 connections, as run.sh does. Below HTTP
# there is nothing to load: bursts of 64 connections with one request each take the accept and read paths.
warm_up() { # layer port
  local layer=$1 port=$2 i
  case "$layer" in
    static | plaintext)
      local path=/13B.txt
      [[ $layer == plaintext ]] && path=/plaintext
      taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d"${warmup}s" -H "Host: $HOST_HEADER" "http://127.0.0.1:$port$path" \
        >"$WORK/logs/idle-memory-warmup.out" 2>&1 || die "the warm-up's wrk failed (bench/scratch/logs/idle-memory-warmup.out)" ;;
    *)
      for ((i = 0; i < 20; i++)); do
        taskset -c "$CLIENT_CPU" "$IDLECLIENT" -s "$port" / 64 0 >/dev/null || die "a warm-up burst to 127.0.0.1:$port failed"
      done ;;
  esac
}

# The server's side of its established connections on PORT: "count unread-bytes".
held_connections() { # port
  ss -tnH state established "( sport = :$1 )" | awk '{ n++; unread += $1 } END { print n + 0, unread + 0 }'
}

measure() { # round layer server
  local round=$1 layer=$2 server=$3 port=${SERVER_PORT[$3]} path=/13B.txt client before idle after i held unread
  local -a client_args=()
  case "$layer" in
    plaintext) path=/plaintext ;;
    connection | transport*) client_args=(-s) path=/ ;;
  esac
  log "round $round/$rounds: $layer on $server"
  start_server "$server" "$layer"
  warm_up "$layer" "$port"
  sleep "$settle" # let the warm-up's connections finish closing and its garbage settle
  before=$(rss_kib "$SERVER_PID")

  local out="$WORK/logs/idleclient-$server-$layer.out"
  # Held for up to 600 s; killed (and so closed with resets) as soon as the reading is taken.
  spawn "$out" taskset -c "$CLIENT_CPU" "$IDLECLIENT" "${client_args[@]}" "$port" "$path" "$connections" 600
  client=$SPAWNED
  for ((i = 0; i < 3000; i++)); do # up to 300 s
    grep -q '^ready' "$out" 2>/dev/null && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^ready' "$out"; then
    note "round $round, $layer on $server: the idle client did not get $connections connections open ($(tail -n 1 "$out"))"
    kill_group "$client"
    stop_server
    return
  fi
  grep -q "ok=$connections " "$out" || ((${#client_args[@]})) ||
    note "round $round, $layer on $server: not every request got a 2xx answer ($(head -n 1 "$out"))"
  # Below HTTP the client does not wait for the server: wait until the server has accepted every connection and
  # read every request, so the reading counts what a drained idle connection holds.
  for ((i = 0; i < 300; i++)); do # up to 30 s
    read -r held unread < <(held_connections "$port")
    ((held >= connections && unread == 0)) && break
    sleep 0.1
  done
  ((held >= connections && unread == 0)) ||
    note "round $round, $layer on $server: the server held $held of $connections connections with $unread bytes unread when measured"
  sleep "$settle"
  idle=$(rss_kib "$SERVER_PID")
  kill_group "$client"
  log "  $before KiB -> $idle KiB with $connections idle connections ($(((idle - before) * 1024 / connections)) B each); closed, waiting ${after_close} s"
  sleep "$after_close"
  after=$(rss_kib "$SERVER_PID")
  kill -0 "$SERVER_PID" 2>/dev/null || die "$server ($layer) died during the measurement (log: bench/scratch/logs/$server.log)"
  stop_server
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$layer" "$server" "$connections" "$before" "$idle" "$after" >>"$RAW"
}

started_at=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
  for layer in "${LAYERS[@]}"; do
    # The order of the servers turns each round, so none is always measured first after a layer change.
    mapfile -t order < <(rotated "$((round - 1))" "${SERVERS[@]}")
    for server in "${order[@]}"; do
      [[ $server == nginx && $layer != static && $layer != plaintext ]] && continue
      measure "$round" "$layer" "$server"
    done
  done
done

# ---------------------------------------------------------------------------------------------- report

labels=()
for server in "${KNOWN_SERVERS[@]}"; do labels+=("$server=${SERVER_LABEL[$server]}"); done
{
  printf 'commit\t%s\n' "$commit"
  printf 'date_utc\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'load_at_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'connections\t%s\n' "$connections"
  printf 'rounds\t%s\n' "$rounds"
  printf 'warmup_s\t%s\n' "$warmup"
  printf 'settle_s\t%s\n' "$settle"
  printf 'after_close_s\t%s\n' "$after_close"
} >"$WORK/idle-memory-facts.tsv"
awk -F'\t' -f "$BENCH_DIR/lib/numbers.awk" -f "$BENCH_DIR/lib/idle-memory.awk" \
  -v servers="${SERVERS[*]}" -v layers="${LAYERS[*]}" -v server_labels="$(IFS='|'; echo "${labels[*]}")" \
  "$WORK/idle-memory-facts.tsv" "$RAW" "$NOTES_FILE" >"$report"
elapsed=$(($(date +%s) - started_at))
log "idle memory done in $((elapsed / 60))m$((elapsed % 60))s: $report"
