#!/usr/bin/env bash
# Runs bench/profile.sh for every server and workload given and puts the results side by side: one report per
# pair in the output directory, and summary.md with one row per pair (where each server's CPU per request goes).
#
#   bench/profile-matrix.sh [--servers LIST] [--workloads LIST] [--out DIR] [profile.sh options]
#
#   --servers LIST    comma-separated, of epoll, epoll-inline, sockets (default: all three)
#   --workloads LIST  comma-separated, of profile.sh's workloads (default: plaintext,plaintext-pipe16,13b,4k,64k,
#                     4k-c1000,13b-pipe16)
#   --out DIR         where the reports go (default bench/scratch/profile/matrix-<UTC time>)
#   other options     passed to every profile.sh run (--warmup, --duration)
#
# The working tree is published once; each pair then costs its warm-up plus two counted runs (about 50 s with the
# defaults, so the default matrix takes about 18 minutes). Run it on a quiet machine.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
WORK="$BENCH_DIR/scratch/profile"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
servers=epoll,epoll-inline,sockets workloads=plaintext,plaintext-pipe16,13b,4k,64k,4k-c1000,13b-pipe16
out="$WORK/matrix-$(date -u +%Y%m%d-%H%M%S)"
passed=()
while (($#)); do
  case "$1" in
    --servers) servers=${2:?}; shift ;;
    --workloads) workloads=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --warmup | --duration) passed+=("$1" "${2:?}"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "profile-matrix.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
mkdir -p "$out"
IFS=, read -ra server_list <<<"$servers"
IFS=, read -ra workload_list <<<"$workloads"
reports=()
app_args=() # the first profile.sh run publishes the working tree into bench/scratch/profile; the others reuse it
for workload in "${workload_list[@]}"; do
  for server in "${server_list[@]}"; do
    report="$out/$workload-$server.md"
    log "$server, $workload"
    "$BENCH_DIR/profile.sh" "$server" "$workload" "${app_args[@]}" "${passed[@]}" >"$report" 2>>"$out/log.txt" ||
      { tail -5 "$out/log.txt" >&2; exit 1; }
    reports+=("$report")
    app_args=(--app-dir "$WORK")
  done
done

{
  echo "# Where the CPU time per request goes ($(git -C "$REPO_DIR" rev-parse --short HEAD), $(date -u +%Y-%m-%d))"
  echo
  echo "One row per server and workload, from \`bench/profile.sh\` (reports next to this file). Microseconds of CPU per"
  echo "request: busy CPU from \`perf stat\` task-clock, split by the \`perf record\` samples' \"on behalf of\" owner;"
  echo "\"in the kernel\" columns hold the system calls made for that owner, the send/recv/epoll_wait column the kernel's"
  echo "own time in those calls (self time). Requests/s are those of the perf stat run."
  echo
  awk -f "$BENCH_DIR/lib/numbers.awk" -f "$BENCH_DIR/lib/profile-summary.awk" "${reports[@]}"
} >"$out/summary.md"
log "done: $out/summary.md"
cat "$out/summary.md"
