# Turns the raw measurements written by bench/run.sh into the Markdown report, the CSV and the chart data.
# Plain POSIX awk (Debian's default mawk is enough). Input files, tab-separated, in this order:
#   facts.tsv      key, value
#   raw.tsv        one row per counted wrk run (with a header); allocated_bytes is empty for nginx
#   syscalls.tsv   one row per server, workload and syscall (with a header)
#   notes.txt      free-text warnings collected during the run
# Needs bench/lib/numbers.awk loaded first (awk -f numbers.awk -f report.awk).
# Variables: servers, workloads (space-separated ids), server_labels, workload_labels ("id=label|..."),
#            md, csv, chartdata (output paths), png (chart file name, relative to the report).

BEGIN {
    nserv = split(servers, S, " ")
    nwork = split(workloads, W, " ")
    n = split(server_labels, tmp, "|")
    for (i = 1; i <= n; i++) { p = index(tmp[i], "="); SL[substr(tmp[i], 1, p - 1)] = substr(tmp[i], p + 1) }
    n = split(workload_labels, tmp, "|")
    for (i = 1; i <= n; i++) { p = index(tmp[i], "="); WL[substr(tmp[i], 1, p - 1)] = substr(tmp[i], p + 1) }
    # Pairs whose per-round throughput ratio is reported: each epoll mode against each baseline.
    for (j = 1; j <= nserv; j++) RUNNING[S[j]] = 1
    n = split("epoll/sockets epoll/nginx epoll-inline/sockets epoll-inline/nginx epoll-cork/epoll epoll-cork/sockets epoll-cork/nginx", tmp, " ")
    for (i = 1; i <= n; i++) {
        split(tmp[i], ab, "/")
        if ((ab[1] in RUNNING) && (ab[2] in RUNNING)) PAIR[++npairs] = tmp[i]
    }
    # Syscalls worth a row of their own, in display order; everything else is summed into "other".
    nsc = split("epoll_wait epoll_pwait epoll_pwait2 recvfrom recvmsg recv read readv writev sendmsg sendto send write sendfile setsockopt epoll_ctl futex sched_yield accept4 accept close shutdown", SC, " ")
    for (i = 1; i <= nsc; i++) SHOWN[SC[i]] = 1
    file = 0
}

FNR == 1 { file++; if (file > 1 && file < 4) next }   # skip the headers of the TSV files

file == 1 { FACT[$1] = $2; FACTKEYS[++nfacts] = $1; next }

file == 2 {
    r = $1; w = $2; s = $3; key = w SUBSEP s
    secs = $6 / 1e6
    if (!(r in SEENROUND)) { SEENROUND[r] = 1; ROUNDS[++nrounds] = r }
    HAS[key SUBSEP r] = 1
    REQ[key SUBSEP r] = $4
    RPS[key SUBSEP r] = secs > 0 ? $4 / secs : 0
    MIBS[key SUBSEP r] = secs > 0 ? $5 / secs / 1048576 : 0
    # wrk's percentile walk can miss histogram entries its coordinated-omission correction put below the
    # minimum and then answers 0; such a value is treated as missing rather than as 0 ms.
    P50[key SUBSEP r] = $7 > 0 ? $7 / 1000 : ""
    P99[key SUBSEP r] = $8 > 0 ? $8 / 1000 : ""
    CPU[key SUBSEP r] = $4 > 0 ? ($12 / FACT["clk_tck"]) / $4 * 1000 : 0
    ALLOC[key SUBSEP r] = ($13 != "" && $4 > 0) ? $13 / $4 : ""
    # wrk's share of its core over the run (its ticks include a moment of start-up: read it as an upper bound).
    CLIENT[key SUBSEP r] = ($14 != "" && $14 >= 0 && secs > 0) ? 100 * ($14 / FACT["clk_tck"]) / secs : ""
    # Context switches of every server thread per request (empty in runs from before the column existed).
    CSW[key SUBSEP r] = ($15 != "" && $4 > 0) ? $15 / $4 : ""
    if ($13 != "") ANYALLOC = 1
    SOCKERR[key] += $9; TIMEOUTS[key] += $10; NON2XX[key] += $11
    SOCK[key SUBSEP r] = $9; TOUT[key SUBSEP r] = $10; N2XX[key SUBSEP r] = $11
    next
}

file == 3 {
    s = $1; w = $2
    SCREQ[w SUBSEP s] = $3
    CALLS[w SUBSEP s SUBSEP $4] += $5
    TOTAL[w SUBSEP s] += $5
    if (!($4 in NAMESEEN)) { NAMESEEN[$4] = 1; NAMES[++nnames] = $4 }
    if (!(w in SCWSEEN)) { SCWSEEN[w] = 1; SCW[++nscw] = w }
    next
}

file == 4 && $0 != "" { NOTES[++nnotes] = $0 }

# ------------------------------------------------------------------------------------------- helpers

function sort_values(a, n,    i, j, t) {   # insertion sort of a[1..n], numeric
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
# Collects ARR[key, round] over the rounds into V[1..nv], sorted; returns nv.
function collect(ARR, key,    i, r) {
    nv = 0
    for (i = 1; i <= nrounds; i++) {
        r = ROUNDS[i]
        if (((key SUBSEP r) in HAS) && ARR[key SUBSEP r] != "") V[++nv] = ARR[key SUBSEP r]
    }
    sort_values(V, nv)
    return nv
}
function median_of(n) { return n == 0 ? "" : (n % 2 ? V[(n + 1) / 2] : (V[n / 2] + V[n / 2 + 1]) / 2) }
function med(ARR, key) { return median_of(collect(ARR, key)) }

# A table with a row per workload and a column per pair: the ratio of ARR for the pair's first server over its
# second (inverse: second over first, for costs), taken per round, then the median and range. Every ratio also goes
# to the CSV as SECTION/METRIC. A ratio needs a non-zero denominator; a cost ratio also a non-zero numerator (a
# run without requests has no cost per request).
function ratio_table(ARR, inverse, joiner, section, metric,    i, k, q, r, w, ka, kb, num, den, line, sep, m) {
    line = "| Workload |"; sep = "| --- |"
    for (k = 1; k <= npairs; k++) {
        split(PAIR[k], ab, "/"); line = line " " SL[ab[1]] joiner SL[ab[2]] " |"; sep = sep " ---: |"
    }
    print line > md; print sep > md
    for (i = 1; i <= nwork; i++) {
        w = W[i]; line = "| " WL[w] " |"
        for (k = 1; k <= npairs; k++) {
            split(PAIR[k], ab, "/"); nv = 0
            for (q = 1; q <= nrounds; q++) {
                r = ROUNDS[q]; ka = w SUBSEP ab[1] SUBSEP r; kb = w SUBSEP ab[2] SUBSEP r
                if (!((ka in HAS) && (kb in HAS))) continue
                num = inverse ? ARR[kb] : ARR[ka]; den = inverse ? ARR[ka] : ARR[kb]
                if (den > 0 && (num > 0 || !inverse)) {
                    V[++nv] = num / den
                    csvrow(section, w, PAIR[k], r, metric, sprintf("%.4f", V[nv]))
                }
            }
            sort_values(V, nv)
            if (nv == 0) { line = line " – |"; continue }
            m = median_of(nv)
            csvrow(section, w, PAIR[k], "", metric "_median", sprintf("%.4f", m))
            csvrow(section, w, PAIR[k], "", metric "_min", sprintf("%.4f", V[1]))
            csvrow(section, w, PAIR[k], "", metric "_max", sprintf("%.4f", V[nv]))
            line = line " " sprintf("%.2f", m) (nv > 1 ? sprintf(" (%.2f–%.2f)", V[1], V[nv]) : "") " |"
        }
        print line > md
    }
    print "" > md
}

function num(x) {   # a readable number of significant digits
    if (x == "") return "–"
    if (x >= 100) return sprintf("%.0f", x)
    if (x >= 10) return sprintf("%.1f", x)
    if (x >= 1) return sprintf("%.2f", x)
    return sprintf("%.3g", x)
}
# Highest calls-per-request of a syscall in a workload, over the servers traced.
function maxper(w, name,    j, key, m, x) {
    m = 0
    for (j = 1; j <= nserv; j++) {
        key = w SUBSEP S[j]
        if ((key in SCREQ) && SCREQ[key] > 0) { x = CALLS[key SUBSEP name] / SCREQ[key]; if (x > m) m = x }
    }
    return m
}
function csvq(x) { if (x ~ /[",]/) { gsub(/"/, "\"\"", x); return "\"" x "\"" } return x }
function csvrow(section, w, s, r, metric, value) {
    print csvq(section) "," csvq(w) "," csvq(s) "," csvq(r) "," csvq(metric) "," csvq(value) > csv
}

# ------------------------------------------------------------------------------------------- output

END {
    quick = FACT["mode"] ~ /^quick/
    print "section,workload,server,round,metric,value" > csv
    for (i = 1; i <= nfacts; i++) csvrow("machine", "", "", "", FACTKEYS[i], FACT[FACTKEYS[i]])

    print "# Benchmark: StaticHostApp and a plaintext app on the epoll transport vs Kestrel Sockets vs nginx" > md
    print "" > md
    if (quick) {
        print "> **Quick run (smoke check): 1 round of short runs, not a measurement to quote.**" > md
        print "" > md
    }
    print "| | |" > md
    print "| --- | --- |" > md
    print "| Date (UTC) | " FACT["date_utc"] " |" > md
    print "| Commit | " FACT["commit"] " |" > md
    print "| CPU | " FACT["cpu"] ", " FACT["cores"] " cores |" > md
    print "| Kernel | " FACT["kernel"] " |" > md
    print "| .NET | ASP.NET Core " FACT["aspnetcore"] " (SDK " FACT["dotnet_sdk"] ") |" > md
    print "| nginx | " FACT["nginx"] " |" > md
    print "| wrk | " FACT["wrk"] " |" > md
    print "| Load average at start | " FACT["load_at_start"] " |" > md
    print "| Open-file cache | " (FACT["file_cache"] == "off" ? "off on both sides" : "on: StaticHostApp `OpenFileCache:Validity=00:00:05`, nginx `open_file_cache max=1000 inactive=20s; open_file_cache_valid 5s`") " |" > md
    print "" > md

    print "## Method" > md
    print "" > md
    print "- **Placement:** every server is pinned to CPU " FACT["server_cpu"] " and the load generator (wrk, the idle client) to CPU " FACT["client_cpu"] " with `taskset`, so each server has exactly one core and the numbers measure the server's own cost." > md
    print "- **Servers:** StaticHostApp (Release, `ASPNETCORE_ENVIRONMENT=Production`, default GC and tiered PGO, log level Warning) on the epoll transport with `ApplicationSchedulingMode=ThreadPool` and `=Inline`, on Kestrel's Sockets transport, and nginx (1 worker, `sendfile`, `tcp_nopush`, `tcp_nodelay` on, no access log) serving the same files." > md
    print "- **Plaintext:** `bench/PlaintextApp`, the smallest Kestrel application (`app.Run` writing \"Hello, World!\", 13 B, `Content-Type: text/plain`, no middleware, no logging) on the same three transports; nginx answers `location = /plaintext { return 200 \"Hello, World!\"; }` from its configuration as a reference. Each .NET server is started once per round for the static workloads (StaticHostApp) and once for the plaintext ones (PlaintextApp), each with its own warm-up; nginx is started for each of the two phases." > md
    if (FACT["file_cache"] == "off") print "- **Open-file cache:** off on both sides (`--file-cache off`): every static request opens, checks and closes its file." > md
    else print "- **Open-file cache:** on on both sides (`--file-cache on`, the default): StaticHostApp with `--StaticHost:OpenFileCache:Validity=00:00:05` (descriptor and metadata of a hot file reused for 5 s), nginx with `open_file_cache max=1000 inactive=20s; open_file_cache_valid 5s;`." > md
    if ("epoll-cork" in RUNNING) print "- **epoll (ThreadPool, Cork):** the ThreadPool epoll server with `--EpollTransport:Cork=true` (TCP_CORK around the headers and sendfile body instead of `MSG_MORE` on the headers)." > md
    print "- **HTTPS:** StaticHostApp with `--urls https://...`, a self-signed ECDSA P-256 certificate (`Kestrel:Certificates:Default`) and HTTP/1.1 only, on each .NET server; nginx with `listen ... ssl` and the same certificate. wrk and both servers use the system's OpenSSL, so they agree on TLS 1.3 and the same cipher; connections are kept alive, so the handshakes are outside the counted runs." > md
    print "- **Runs:** " FACT["rounds"] " round(s), each with a static phase, a plaintext phase and an HTTPS phase (those with a selected workload). A phase starts its servers side by side, all pinned to the server core, and loads each for " FACT["warmup_start_s"] " s (4 KiB; PlaintextApp: plaintext; HTTPS: 4 KiB over HTTPS; nginx only in the static phase when there is one); then each workload runs on every server back to back, in an order rotated per round and per workload: a " FACT["warmup_each_s"] " s warm-up and a counted " FACT["duration_s"] " s run of `wrk --latency -t1 -c64` (or `-c1000`, `-c10000`; pipelined: 16 requests per write). So the servers a ratio compares ran seconds apart, not minutes; the idle servers' CPU during each counted run is checked (over 1% of the run would be listed under Warnings). Tables show the median over rounds, with min–max." > md
    print "- **Pipelining:** a wrk Lua script writes 16 GETs in one buffer per connection and sends the next batch when all 16 responses are in; wrk counts each response as a request, but records latency once per batch (write to last response)." > md
    print "- **CPU:** the server's utime+stime from `/proc/PID/stat` (nginx: master + worker) across the counted run, divided by the requests completed." > md
    print "- **Context switches:** voluntary + involuntary, from `/proc/PID/task/*/status` of every server thread (nginx: master + worker) across the counted run, divided by the requests completed." > md
    print "- **Allocations:** every .NET server runs with `bench/AllocationProbe` as a startup hook (`DOTNET_STARTUP_HOOKS`); right before and right after each counted run the script sends it SIGUSR2 and it writes `GC.GetTotalAllocatedBytes(precise: true)`; the difference (the GC allocation delta of the run, every thread) is divided by the requests completed. No diagnostics session is attached during the run." > md
    print "- **Errors:** wrk's socket errors (connect/read/write) and timeouts (> 10 s), and responses with status ≥ 400, summed over rounds." > md
    print "" > md

    # Throughput overview.
    print "## Requests per second" > md
    print "" > md
    line = "| Workload |"; sep = "| --- |"
    for (j = 1; j <= nserv; j++) { line = line " " SL[S[j]] " |"; sep = sep " ---: |" }
    print line > md; print sep > md
    for (i = 1; i <= nwork; i++) {
        w = W[i]; line = "| " WL[w] " |"
        for (j = 1; j <= nserv; j++) {
            key = w SUBSEP S[j]; n = collect(RPS, key)
            if (n == 0) { line = line " – |"; continue }
            line = line " " thousands(median_of(n)) (n > 1 ? " (" thousands(V[1]) "–" thousands(V[n]) ")" : "") " |"
        }
        print line > md
    }
    print "" > md

    # Ratios, per round, then the median of the ratios.
    if (npairs > 0) {
        print "## Throughput ratios (computed per round; median, min–max)" > md
        print "" > md
        ratio_table(RPS, 0, " / ", "ratio", "rps_ratio")
    }

    # Server CPU per request, per round: the same comparison seen from the server's side. Where wrk's one core is
    # nearly saturated (see the wrk CPU column below), requests per second are capped by the client, and this
    # ratio ranks the servers better; it still moves with load (a server below saturation batches less per
    # epoll_wait, and idle thread-pool workers spin).
    if (npairs > 0) {
        print "## Server CPU per request ratios (baseline CPU per request / epoll CPU per request, per round; median, min–max)" > md
        print "" > md
        print "Above 1 means the epoll server spent less CPU per request. They depend less than requests/s on whether the load generator keeps up (see the wrk CPU column under Per workload), but not entirely: a server below saturation gathers fewer events per `epoll_wait`." > md
        print "" > md
        ratio_table(CPU, 1, " vs ", "cpu_ratio", "cpu_per_request_ratio")
    }

    # Allocations per request.
    if (ANYALLOC) {
        print "## Allocated bytes per request (GC allocation delta over the counted run; median over rounds)" > md
        print "" > md
        # Then each epoll server's median against Sockets' (the goal: at or below 1).
        line = "| Workload |"; sep = "| --- |"
        for (j = 1; j <= nserv; j++) if (S[j] != "nginx") { line = line " " SL[S[j]] " |"; sep = sep " ---: |" }
        if ("sockets" in RUNNING)
            for (j = 1; j <= nserv; j++) if (S[j] != "nginx" && S[j] != "sockets") { line = line " " SL[S[j]] " / Sockets |"; sep = sep " ---: |" }
        print line > md; print sep > md
        for (i = 1; i <= nwork; i++) {
            w = W[i]; line = "| " WL[w] " |"
            for (j = 1; j <= nserv; j++) {
                if (S[j] == "nginx") continue
                n = collect(ALLOC, w SUBSEP S[j])
                line = line " " (n == 0 ? "–" : thousands(median_of(n)) (n > 1 ? " (" thousands(V[1]) "–" thousands(V[n]) ")" : "")) " |"
            }
            if ("sockets" in RUNNING) {
                base = med(ALLOC, w SUBSEP "sockets")
                for (j = 1; j <= nserv; j++) {
                    if (S[j] == "nginx" || S[j] == "sockets") continue
                    a = med(ALLOC, w SUBSEP S[j])
                    line = line " " ((a == "" || base == "" || base <= 0) ? "–" : sprintf("%.2f", a / base)) " |"
                    if (a != "" && base != "" && base > 0) csvrow("allocation", w, S[j] "/sockets", "", "allocated_bytes_ratio_median", sprintf("%.4f", a / base))
                }
            }
            print line > md
        }
        print "" > md
    }

    # Details.
    print "## Per workload (medians over rounds)" > md
    print "" > md
    print "wrk CPU: the load generator's share of its core during the run; near 100% it, not the server, limits the rate." > md
    print "" > md
    print "| Workload | Server | req/s | MiB/s | p50 ms | p99 ms | server CPU-ms / req | context switches / req | allocated B / req | wrk CPU | socket errors / timeouts | status ≥ 400 |" > md
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" > md
    for (i = 1; i <= nwork; i++) {
        w = W[i]
        for (j = 1; j <= nserv; j++) {
            s = S[j]; key = w SUBSEP s
            if (collect(RPS, key) == 0) continue
            for (q = 1; q <= nrounds; q++) {
                r = ROUNDS[q]; if (!((key SUBSEP r) in HAS)) continue
                csvrow("run", w, s, r, "requests", REQ[key SUBSEP r])
                csvrow("run", w, s, r, "rps", sprintf("%.1f", RPS[key SUBSEP r]))
                csvrow("run", w, s, r, "mib_s", sprintf("%.2f", MIBS[key SUBSEP r]))
                csvrow("run", w, s, r, "p50_ms", P50[key SUBSEP r] == "" ? "" : sprintf("%.3f", P50[key SUBSEP r]))
                csvrow("run", w, s, r, "p99_ms", P99[key SUBSEP r] == "" ? "" : sprintf("%.3f", P99[key SUBSEP r]))
                csvrow("run", w, s, r, "cpu_s_per_1k_requests", sprintf("%.5f", CPU[key SUBSEP r]))
                csvrow("run", w, s, r, "context_switches_per_request", CSW[key SUBSEP r] == "" ? "" : sprintf("%.4f", CSW[key SUBSEP r]))
                csvrow("run", w, s, r, "allocated_bytes_per_request", ALLOC[key SUBSEP r] == "" ? "" : sprintf("%.1f", ALLOC[key SUBSEP r]))
                csvrow("run", w, s, r, "client_cpu_percent", CLIENT[key SUBSEP r] == "" ? "" : sprintf("%.1f", CLIENT[key SUBSEP r]))
                csvrow("run", w, s, r, "socket_errors", SOCK[key SUBSEP r])
                csvrow("run", w, s, r, "timeouts", TOUT[key SUBSEP r])
                csvrow("run", w, s, r, "status_4xx_5xx", N2XX[key SUBSEP r])
            }
            n = collect(RPS, key)
            csvrow("summary", w, s, "", "rps_median", sprintf("%.1f", median_of(n)))
            csvrow("summary", w, s, "", "rps_min", sprintf("%.1f", V[1]))
            csvrow("summary", w, s, "", "rps_max", sprintf("%.1f", V[n]))
            rps = median_of(n); mibs = med(MIBS, key); p50 = med(P50, key); p99 = med(P99, key); cpu = med(CPU, key)
            alloc = med(ALLOC, key); client = med(CLIENT, key); csw = med(CSW, key)
            csvrow("summary", w, s, "", "context_switches_per_request_median", csw == "" ? "" : sprintf("%.4f", csw))
            csvrow("summary", w, s, "", "client_cpu_percent_median", client == "" ? "" : sprintf("%.1f", client))
            csvrow("summary", w, s, "", "allocated_bytes_per_request_median", alloc == "" ? "" : sprintf("%.1f", alloc))
            csvrow("summary", w, s, "", "mib_s_median", sprintf("%.2f", mibs))
            csvrow("summary", w, s, "", "p50_ms_median", p50 == "" ? "" : sprintf("%.3f", p50))
            csvrow("summary", w, s, "", "p99_ms_median", p99 == "" ? "" : sprintf("%.3f", p99))
            csvrow("summary", w, s, "", "cpu_s_per_1k_requests_median", sprintf("%.5f", cpu))
            csvrow("summary", w, s, "", "socket_errors_total", SOCKERR[key])
            csvrow("summary", w, s, "", "timeouts_total", TIMEOUTS[key])
            csvrow("summary", w, s, "", "status_4xx_5xx_total", NON2XX[key])
            errs = SOCKERR[key] + TIMEOUTS[key] + NON2XX[key]
            if (errs > 0) anyerrors = 1
            print "| " WL[w] " | " SL[s] " | " thousands(rps) " | " num(mibs) " | " num(p50) " | " num(p99) " | " num(cpu) " | " num(csw) " | " \
                (alloc == "" ? "–" : thousands(alloc)) " | " (client == "" ? "–" : sprintf("%.0f%%", client)) " | " SOCKERR[key] " / " TIMEOUTS[key] " | " NON2XX[key] " |" > md
        }
    }
    print "" > md

    # Syscalls.
    print "## System calls per request (separate short run under `strace -c -f`)" > md
    print "" > md
    print "strace attaches to the running server (nginx: its worker; .NET: every thread) for one short wrk run; counts are divided by the requests wrk completed. Tracing slows the server a lot, which changes how many events each `epoll_wait` returns, so read these as the shape of each server's I/O path, not as exact costs." > md
    print "" > md
    if (nscw == 0) { print "_Not measured in this run._" > md; print "" > md }
    for (i = 1; i <= nscw; i++) {
        w = SCW[i]
        print "**" WL[w] "**" > md
        print "" > md
        line = "| syscall |"; sep = "| --- |"
        for (j = 1; j <= nserv; j++) { line = line " " SL[S[j]] " |"; sep = sep " ---: |" }
        print line > md; print sep > md
        line = "| requests traced |"
        for (j = 1; j <= nserv; j++) {
            key = w SUBSEP S[j]
            line = line " " ((key in SCREQ) ? thousands(SCREQ[key]) : "–") " |"
            if (key in SCREQ) csvrow("syscalls", w, S[j], "", "requests", SCREQ[key])
        }
        print line > md
        # Rows: the I/O syscalls listed in BEGIN that occurred, then any other syscall that some server made
        # at least 0.5 times per request (most frequent first), then the rest as "other", then the total.
        nrows = 0
        for (k = 1; k <= nsc; k++) if (maxper(w, SC[k]) > 0) ROW[++nrows] = SC[k]
        nextra = 0
        for (k = 1; k <= nnames; k++) {
            name = NAMES[k]
            if (!(name in SHOWN) && maxper(w, name) >= 0.5) { EXTRA[++nextra] = name; V[nextra] = -maxper(w, name) }
        }
        for (a = 2; a <= nextra; a++) {   # sort EXTRA by descending rate (V holds the negated rates)
            t = V[a]; tn = EXTRA[a]
            for (b = a - 1; b >= 1 && V[b] > t; b--) { V[b + 1] = V[b]; EXTRA[b + 1] = EXTRA[b] }
            V[b + 1] = t; EXTRA[b + 1] = tn
        }
        for (k = 1; k <= nextra; k++) ROW[++nrows] = EXTRA[k]
        ROW[++nrows] = "other"; ROW[++nrows] = "total"
        for (k = 1; k <= nrows; k++) {
            name = ROW[k]
            line = "| " (name == "total" ? "**all syscalls**" : (name == "other" ? "other" : "`" name "`")) " |"
            for (j = 1; j <= nserv; j++) {
                key = w SUBSEP S[j]
                if (!(key in SCREQ) || SCREQ[key] <= 0) { line = line " – |"; continue }
                if (name == "total") c = TOTAL[key]
                else if (name == "other") {
                    c = TOTAL[key]
                    for (q = 1; q < nrows - 1; q++) c -= CALLS[key SUBSEP ROW[q]]
                } else c = CALLS[key SUBSEP name] + 0
                per = c / SCREQ[key]
                csvrow("syscalls", w, S[j], "", name "_per_request", sprintf("%.4f", per))
                line = line " " (c == 0 ? "0" : sprintf("%.3f", per)) " |"
            }
            print line > md
        }
        print "" > md
    }

    print "## Chart" > md
    print "" > md
    print "![requests per second per workload and server](" png ")" > md
    print "" > md

    if (nnotes > 0 || anyerrors) {
        print "## Warnings" > md
        print "" > md
        for (i = 1; i <= nnotes; i++) { print "- " NOTES[i] > md; csvrow("note", "", "", "", "warning", NOTES[i]) }
        if (anyerrors) print "- Some runs had errors; see the last two columns of the per-workload table." > md
        print "" > md
    }

    # Chart data: workload label, then the median req/s of each server ("?" when missing).
    line = "workload"
    for (j = 1; j <= nserv; j++) line = line "\t" SL[S[j]]
    print line > chartdata
    for (i = 1; i <= nwork; i++) {
        # Shorter x-axis labels so neighbouring groups' labels do not run into each other.
        w = W[i]; line = WL[w]; sub(/, /, " ", line); sub(/ conns/, "c", line); sub(/pipelined /, "pipe ", line)
        for (j = 1; j <= nserv; j++) { m = med(RPS, w SUBSEP S[j]); line = line "\t" (m == "" ? "?" : sprintf("%.1f", m)) }
        print line > chartdata
    }
}
