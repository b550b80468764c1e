# One Markdown row per bench/profile.sh report given as input: where each server's CPU per request goes.
# Used by bench/profile-matrix.sh, after bench/lib/numbers.awk.

function flushReport() {
  if (server == "") return
  # "other" is what the named columns leave: JIT, the native runtime and GC, libc, anything without an owner.
  other = busy - owner["transport"] - owner["transport, in the kernel"] - owner["Kestrel and hosting"] - owner["Kestrel and hosting, in the kernel"] - \
    owner["application and middleware"] - owner["application and middleware, in the kernel"] - owner["file body reads, in the kernel"] - \
    owner["thread synchronisation (futex, sched_yield), in the kernel"] - owner["kernel outside system calls (interrupts, softirq)"]
  printf "| %s | %s | %s | %.2f | %.2f | %.3f | %.2f | %.2f | %.2f, %.2f, %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", \
    workload, server, thousands(rps), busy, calls, switches, \
    owner["transport"], owner["transport, in the kernel"], kernel["send"], kernel["recv"], kernel["epoll_wait"], \
    owner["Kestrel and hosting"] + owner["Kestrel and hosting, in the kernel"], \
    owner["application and middleware"] + owner["application and middleware, in the kernel"], \
    owner["file body reads, in the kernel"], owner["thread synchronisation (futex, sched_yield), in the kernel"], \
    owner["kernel outside system calls (interrupts, softirq)"], other
  server = ""
  split("", owner); split("", kernel)
}

BEGIN {
  print "| workload | server | req/s | CPU µs / req | system calls / req | context switches / req | transport code | transport's system calls | of which send, recv, epoll_wait | Kestrel | application and middleware | file body reads (kernel) | futex, sched_yield | interrupts, softirq | JIT, runtime, GC, other |"
  print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
}

FNR == 1 { flushReport() }

/^## / {
  # "## SERVER, WORKLOAD: N requests in D s"
  line = $0
  sub(/^## /, "", line)
  server = line; sub(/,.*/, "", server)
  workload = line; sub(/^[^,]*, /, "", workload); sub(/:.*/, "", workload)
  match(line, /: [0-9]+ requests in [0-9]+ s/)
  split(substr(line, RSTART + 2, RLENGTH - 2), parts, " ")
  rps = parts[1] / parts[4]
  section = ""
  next
}
/^Busy CPU:/ { busy = $3; switches = $(NF - 4); next }
/^\| all system calls \|/ { calls = $6; next }
/^\| on behalf of \|/ { section = "owner"; next }
/^\| code that ran/ { section = "self"; next }
/^\| thread \|/ { section = ""; next }
/^\| / && section != "" {
  n = split($0, cell, "|")
  name = cell[2]; gsub(/^ +| +$/, "", name)
  value = cell[4]; gsub(/ /, "", value)
  if (name == "---" || value == "") next
  if (section == "owner") owner[name] += value
  else if (name ~ /^kernel: (sendto|sendmsg|sendfile64|writev|write)$/) kernel["send"] += value
  else if (name ~ /^kernel: (recvfrom|recvmsg|read)$/) kernel["recv"] += value
  else if (name ~ /^kernel: epoll_(p)?wait$/) kernel["epoll_wait"] += value
  next
}

END { flushReport() }
