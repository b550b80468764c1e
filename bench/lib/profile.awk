# Splits the samples of `perf script -F comm,tid,ip,sym,dso` (recorded with -g from a .NET server run with
# DOTNET_PerfMapEnabled=1) into Markdown tables; used by bench/profile.sh.
#   -v us=N   busy CPU microseconds per request; each share is also shown as microseconds per request
#
# A sample is a header line (thread name, then thread id) followed by its frames, leaf first, one per line:
# "address symbol (dso)". Managed frames from the perf map read "[tier] returnType [Assembly] Namespace.Type::Method(...)",
# so the assembly in brackets names the component.

function component(sym, dso,   assembly) {
  if (dso ~ /kernel\.kallsyms/) return "kernel"
  if (dso ~ /libclrjit/) return "JIT"
  if (dso ~ /libcoreclr/) return (sym ~ /gc_heap|GCHeap|[Gg]arbage|Alloc|gc::|WKS::|SVR::|memclr/) ? "GC and allocation" : "runtime (native)"
  if (dso ~ /libSystem\.Native/) return "System.Native shims"
  if (dso ~ /libc\.so|libc-|ld-linux|libpthread/) return "libc"
  if (match(sym, /\[[A-Za-z0-9_.]+\] [A-Za-z_]/)) {
    assembly = substr(sym, RSTART + 1, RLENGTH - 4)
    if (assembly ~ /^EpollTransport$|^Microsoft\.AspNetCore\.Server\.Kestrel\.Transport\.|^System\.Net\.Sockets$|^System\.Net\.Primitives$/) return "transport"
    if (assembly ~ /^Microsoft\.AspNetCore\.Server\.Kestrel|^Microsoft\.AspNetCore\.Http|^Microsoft\.AspNetCore\.Hosting|^Microsoft\.Net\.Http\.Headers|^Microsoft\.Extensions\.Primitives/) return "Kestrel and hosting"
    if (assembly ~ /^System\.IO\.Pipelines$/) return "System.IO.Pipelines"
    if (assembly ~ /^StaticHostApp$|^PlaintextApp$|^Microsoft\.AspNetCore\.|^Microsoft\.Extensions\./) return "application and middleware"
    if (assembly == "System.Private.CoreLib" && sym ~ / System\.Threading\.|System\.Runtime\.CompilerServices\.(Async|ValueTaskAwaiter|TaskAwaiter|ConfiguredValueTask)/) return "thread pool and async"
    if (assembly == "System.Private.CoreLib") return "CoreLib (other)"
    return "other managed (" assembly ")"
  }
  if (sym ~ /^\[unknown\]$/ || dso ~ /unknown/) return "unresolved"
  return "other native (" dso ")"
}

# The party a frame's work is done for: only the transport, Kestrel and the application own work; the rest
# (pipelines, CoreLib, runtime, libc, kernel) is charged to the nearest owner up the stack.
function owner(c) { return (c == "transport" || c == "Kestrel and hosting" || c == "application and middleware") ? c : "" }

function callOwner(call) {
  if (call ~ /^(sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg|epoll_wait|epoll_pwait|epoll_ctl|sendfile64|accept4|setsockopt|getsockopt|shutdown|writev|readv|write|read|io_uring_enter)$/) return "transport"
  if (call ~ /^(openat|openat2|statx|fstat|newfstatat|faccessat2|pread64|close|fadvise64|readlink)$/) return "application and middleware"
  if (call ~ /^(futex|sched_yield|nanosleep|clock_nanosleep)$/) return "thread synchronisation (futex, sched_yield)"
  return ""
}

function flush(   i, c, o, syscall, self) {
  if (depth == 0) return
  total++
  self = component(syms[1], dsos[1])
  if (self == "kernel") {
    # The system call is named by the outermost kernel frame of the form [_...][x64_]sys_NAME: sendto enters
    # through __x64_sys_sendto, but sendmsg's stack may show only __sys_sendmsg (the wrapper is inlined).
    syscall = ""
    for (i = 1; i <= depth && dsos[i] ~ /kernel\.kallsyms/; i++)
      if (match(syms[i], /^_*((x64|ia32)_)?sys_[a-z0-9_]+$/)) { syscall = syms[i]; sub(/^_*((x64|ia32)_)?sys_/, "", syscall) }
    self = syscall == "" ? "kernel: no system call (interrupts, scheduling)" : "kernel: " syscall
  }
  selfCount[self]++
  o = ""
  for (i = 1; i <= depth && o == ""; i++) o = owner(component(syms[i], dsos[i]))
  # Frame-pointer unwinding stops at libc's system call wrappers, so a system call's stack often ends there;
  # such a sample is charged by the call: socket and readiness calls to the transport, file calls to the
  # application (StaticHostApp opens and reads the files), the rest by what ran.
  if (o == "" && self ~ /^kernel: /) o = callOwner(substr(self, 9))
  if (o == "") o = self ~ /^kernel/ ? "kernel outside system calls" : component(syms[1], dsos[1])
  else if (self ~ /^kernel: /) o = o ", in the kernel"
  ownerCount[o]++
  threadCount[thread]++
  depth = 0
}

/^[^\t ]/ {
  flush()
  thread = $0
  sub(/[ \t]+[0-9]+[ \t]*$/, "", thread)
  sub(/[0-9]+$/, "N", thread) # epoll-0, epoll-1 ... and numbered pool threads group by kind
  next
}
/^[\t ]+[0-9a-f]+ / {
  line = $0
  sub(/^[\t ]+[0-9a-f]+ /, "", line)
  dso = line
  sub(/^.* \(/, "", dso); sub(/\)$/, "", dso)
  sym = line
  sub(/ \([^()]*\)$/, "", sym)
  depth++
  syms[depth] = sym; dsos[depth] = dso
  next
}
/^$/ { flush() }

function table(title, counts,   k, n, keys, i, j, t) {
  n = 0
  for (k in counts) keys[++n] = k
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (counts[keys[j]] > counts[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
  printf "| %s | share | µs / request |\n| --- | ---: | ---: |\n", title
  for (i = 1; i <= n; i++) {
    if (counts[keys[i]] / total < 0.005) { rest += counts[keys[i]]; continue }
    printf "| %s | %.1f%% | %.2f |\n", keys[i], 100 * counts[keys[i]] / total, us * counts[keys[i]] / total
  }
  if (rest > 0) printf "| (each below 0.5%%) | %.1f%% | %.2f |\n", 100 * rest / total, us * rest / total
  rest = 0
  printf "\n"
}

END {
  flush()
  if (total == 0) { print "No samples."; exit 1 }
  table("on behalf of", ownerCount)
  table("code that ran (self time)", selfCount)
  table("thread", threadCount)
  printf "%d samples.\n", total
}
