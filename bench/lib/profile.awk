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
  # libcoreclr.so ships without symbols, so the GC cannot be told apart from the rest of the native runtime.
  if (dso ~ /libcoreclr/) return (sym ~ /gc_heap|GCHeap|WKS::|SVR::/) ? "GC" : "runtime (native, GC included)"
  if (dso ~ /libSystem\.Native/) return "System.Native shims"
  if (dso ~ /libc\.so|libc-|ld-linux|libpthread/) return "libc"
  if (match(sym, /\[[A-Za-z0-9_.]+\] [A-Za-z_]/)) {
    assembly = substr(sym, RSTART + 1, RLENGTH - 4)
    return managed(assembly, sym)
  }
  # Precompiled (ReadyToRun) framework code has no perf-map entry; its image still names the assembly.
  if (dso ~ /\.dll$/) {
    assembly = dso
    sub(/^.*\//, "", assembly); sub(/\.dll$/, "", assembly)
    return managed(assembly, "")
  }
  if (sym ~ /^\[unknown\]$/ || dso ~ /unknown/) return "unresolved"
  return "other native (" dso ")"
}

function managed(assembly, sym) {
  if (assembly ~ /^EpollTransport$|^Microsoft\.AspNetCore\.Server\.Kestrel\.Transport\.|^System\.Net\.Sockets$|^System\.Net\.Primitives$/) return "transport"
  if (assembly ~ /^Microsoft\.AspNetCore\.Server\.Kestrel|^Microsoft\.AspNetCore\.Http|^Microsoft\.AspNetCore\.Hosting|^Microsoft\.Net\.Http\.Headers|^Microsoft\.Extensions\.(Primitives|Features)$/) return "Kestrel and hosting"
  if (assembly ~ /^System\.IO\.Pipelines$/) return "System.IO.Pipelines"
  if (assembly ~ /^StaticHostApp$|^PlaintextApp$|^Microsoft\.AspNetCore\.|^Microsoft\.Extensions\./) return "application and middleware"
  if (assembly == "System.Private.CoreLib" && sym ~ /\[System\.Private\.CoreLib\] System\.(Threading\.|Runtime\.CompilerServices\.(Async|ValueTaskAwaiter|TaskAwaiter|ConfiguredValueTask))/) return "thread pool and async"
  if (assembly == "System.Private.CoreLib") return "CoreLib (other)"
  return "other managed (" assembly ")"
}

# The party a frame's work is done for: only the transport, Kestrel and the application own work; the rest
# (pipelines, CoreLib, runtime, libc, kernel) is charged to the nearest owner up the stack.
function owner(c) { return (c == "transport" || c == "Kestrel and hosting" || c == "application and middleware") ? c : "" }

# Owner of a system call whose stack ends at libc (frame-pointer unwinding often stops at libc's wrappers).
function callOwner(call) {
  if (call ~ /^(sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg|epoll_wait|epoll_pwait|epoll_pwait2|epoll_ctl|sendfile64|accept4|setsockopt|getsockopt|shutdown|writev|readv|write|read|io_uring_enter)$/) return "transport"
  if (call ~ /^(openat|openat2|statx|fstat|newfstatat|faccessat2|close|fadvise64|readlink)$/) return "application and middleware"
  if (call ~ /^(futex|sched_yield|nanosleep|clock_nanosleep)$/) return "thread synchronisation (futex, sched_yield)"
  return ""
}

# The system call a kernel stack runs in, or "" (interrupt, softirq or exception outside any call). The call is
# named by the outermost kernel frame of the form [_...][x64_]sys_NAME (sendto enters through __x64_sys_sendto,
# sendmsg may show only __sys_sendmsg); when the wrapper is inlined away (preadv2 goes straight to do_preadv), by
# the frame right below do_syscall_64.
function syscallOf(   i, name) {
  name = ""
  for (i = 1; i <= depth && dsos[i] ~ /kernel\.kallsyms/; i++) {
    if (syms[i] != "x64_sys_call" && syms[i] ~ /^_*((x64|ia32)_)?sys_[a-z0-9_]+$/) { name = syms[i]; sub(/^_*((x64|ia32)_)?sys_/, "", name) }
    if (syms[i] == "do_syscall_64") {
      if (name == "" && i > 1) {
        name = syms[i - 1] == "x64_sys_call" && i > 2 ? syms[i - 2] : syms[i - 1]
        sub(/^(__x64_sys_|__do_sys_|__se_sys_|ksys_|do_|__sys_)/, "", name)
      }
      return name
    }
  }
  return name
}

function flush(   i, o, syscall, self) {
  if (depth == 0) return
  total++
  self = component(syms[1], dsos[1])
  syscall = ""
  if (self == "kernel") {
    syscall = syscallOf()
    if (syscall != "") self = "kernel: " syscall
    else {
      self = "kernel: no system call (interrupts, softirq, scheduling)"
      for (i = 1; i <= depth && dsos[i] ~ /kernel\.kallsyms/; i++) if (syms[i] ~ /exc_page_fault/) self = "kernel: page faults"
    }
  }
  selfCount[self]++
  o = ""
  if (self ~ /^kernel: no system call/) {
    # Interrupt and softirq work (mostly receiving the packets wrk sends) belongs to no frame it interrupted.
    o = "kernel outside system calls (interrupts, softirq)"
  } else if (syscall ~ /^(pread64|preadv|preadv2)$/) {
    # Reading a copied file body: the same work whichever transport asks for it.
    o = "file body reads, in the kernel"
  } else {
    for (i = 1; i <= depth && o == ""; i++) o = owner(component(syms[i], dsos[i]))
    if (o == "" && syscall != "") o = callOwner(syscall)
    if (o == "") o = syscall != "" ? "kernel: " syscall " (no owner on the stack)" : (self ~ /^kernel/ ? self : component(syms[1], dsos[1]))
    else if (self ~ /^kernel/) o = o ", in the kernel"
  }
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
