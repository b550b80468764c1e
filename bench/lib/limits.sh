# Checks that this machine lets the benchmark open as many connections as a run asks for (sourced, not run; needs
# bench/lib/procs.sh first). Every connection costs a descriptor in the client (wrk, the idle client) and one in the
# server, and a local port on the client's side of 127.0.0.1; a burst of connects also queues in the listen backlog.

# The descriptors a process needs besides its connections: the server's listeners, files, epoll and event
# descriptors, the runtime's own; wrk's threads. Measured needs are in the low hundreds.
LIMITS_SPARE=1024

# Raises the soft open-files limit when it is too low for CONNECTIONS and the hard limit allows it (the servers and
# clients started afterwards inherit it), and fails with what to do otherwise. Sets NOFILE to the limit in force.
# Also fails when the local port range cannot hold CONNECTIONS, and warns (through note, when the caller has it) when
# net.core.somaxconn caps the servers' listen backlogs below their defaults.
ensure_connection_limits() { # connections what (for the messages, e.g. "the 4k-c10000 workload")
  local connections=$1 what=$2 need soft hard low high backlog_cap
  need=$((connections + LIMITS_SPARE))
  soft=$(ulimit -Sn)
  hard=$(ulimit -Hn)
  if [[ $soft != unlimited ]] && ((soft < need)); then
    if [[ $hard == unlimited ]] || ((hard >= need)); then
      # Up to 65536 when allowed, so later phases with a few more connections do not need another raise.
      if [[ $hard == unlimited ]] || ((hard >= 65536)); then ulimit -Sn 65536; else ulimit -Sn "$hard"; fi
    else
      die "$what needs $need open files per process ($connections connections + $LIMITS_SPARE); the hard limit is $hard.
  As root, raise it in the shell that runs the script:  ulimit -Hn $need && ulimit -Sn $need
  As a user: add '$(id -un) hard nofile $need' to /etc/security/limits.conf (or LimitNOFILE=$need in a systemd unit)
  and log in again; in a container: docker run --ulimit nofile=$need:$need ...
  Or ask for fewer connections."
    fi
  fi
  NOFILE=$(ulimit -Sn)
  [[ $NOFILE == unlimited ]] && NOFILE=1048576

  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  if ((high - low + 1 < need)); then
    die "$what needs about $need local ports on 127.0.0.1 ($connections connections + $LIMITS_SPARE for earlier runs' TIME_WAIT); net.ipv4.ip_local_port_range is $low-$high ($((high - low + 1)) ports).
  As root:  sysctl -w net.ipv4.ip_local_port_range='1024 65535'"
  fi

  # A closed client connection waits in TIME_WAIT for 60 s with its port; on loopback the kernel reuses such ports
  # only with net.ipv4.tcp_tw_reuse (1, or 2: loopback only, the default). Without it, a warm-up and a counted run
  # of the same size, seconds apart, need twice the ports.
  if (($(cat /proc/sys/net/ipv4/tcp_tw_reuse) == 0 && high - low + 1 < 2 * connections + LIMITS_SPARE)); then
    die "$what needs about $((2 * connections + LIMITS_SPARE)) local ports with net.ipv4.tcp_tw_reuse=0 (closed connections hold theirs for 60 s); net.ipv4.ip_local_port_range is $low-$high.
  As root:  sysctl -w net.ipv4.tcp_tw_reuse=2   (reuse on loopback only, the kernel's default)
  or:       sysctl -w net.ipv4.ip_local_port_range='1024 65535'"
  fi

  # Every server here listens with a backlog of about 512 (Kestrel's and the epoll transport's default 512, nginx's
  # 511); the kernel caps it at somaxconn. Below that a connect burst overflows the queue earlier than the servers'
  # own settings would, and the run measures the machine's setting rather than the server's.
  backlog_cap=$(cat /proc/sys/net/core/somaxconn)
  if ((backlog_cap < 512)); then
    local message="net.core.somaxconn is $backlog_cap, below the servers' listen backlog of 512: a burst of $connections connects overflows it sooner (SYNs dropped and retried after 1 s). To measure the servers' own settings, as root: sysctl -w net.core.somaxconn=4096"
    log "WARNING: $message"
    declare -F note >/dev/null && note "$message"
  fi
  return 0
}
