# Turns bench/idle-memory.sh's measurements into its Markdown report (on standard output). Plain POSIX awk.
# Input files, tab-separated, in this order:
#   facts.tsv   key, value
#   raw.tsv     round, layer, server, connections, rss_before_kib, rss_idle_kib, rss_after_close_kib (with a header)
#   notes.txt   free-text warnings
# Needs bench/lib/numbers.awk loaded first. Variables: servers, layers (space-separated ids), server_labels
# ("id=label|...").

BEGIN {
    nserv = split(servers, S, " ")
    nlay = split(layers, LAY, " ")
    n = split(server_labels, tmp, "|")
    for (i = 1; i <= n; i++) { p = index(tmp[i], "="); SL[substr(tmp[i], 1, p - 1)] = substr(tmp[i], p + 1) }
    LL["static"] = "HTTP (StaticHostApp, one GET of 13 B)"
    LL["plaintext"] = "HTTP (PlaintextApp, one GET)"
    LL["connection"] = "connection level (a ConnectionHandler that drains its input)"
    LL["transport"] = "transport alone (IConnectionListenerFactory, a read pending)"
    LL["transport-direct"] = "transport alone, factory constructed directly (no host memory pool)"
    file = 0
}

FNR == 1 { file++; if (file == 2) next }

file == 1 { FACT[$1] = $2; next }

file == 2 {
    key = $2 SUBSEP $3
    k = ++COUNT[key]
    CONN[key, k] = $4; BEFORE[key, k] = $5; IDLE[key, k] = $6; AFTER[key, k] = $7
    ROUNDROWS[++nrows] = $0
    next
}

file == 3 && $0 != "" { NOTES[++nnotes] = $0 }

function sort_values(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function median(a, n) { sort_values(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
# Bytes per idle connection of measurement k of key.
function per_connection(key, k) { return (IDLE[key, k] - BEFORE[key, k]) * 1024 / CONN[key, k] }
function mib(kib) { return sprintf("%.1f", kib / 1024) }
function range_of(a, n) { sort_values(a, n); return n > 1 ? " (" thousands(a[1]) "–" thousands(a[n]) ")" : "" }

END {
    print "## Idle keep-alive connections: memory per connection"
    print ""
    print "Commit " FACT["commit"] ", " FACT["date_utc"] "; " thousands(FACT["connections"]) " connections, " FACT["rounds"] \
        " round(s); load average at the end " FACT["load_at_end"] "."
    print "Each measurement starts the server fresh on CPU 0, loads it for " FACT["warmup_s"] " s (below HTTP: 20 bursts of" \
        " 64 connections), then reads its VmRSS (nginx: master + worker) before the client on CPU 1 opens the connections" \
        " one after another, each with one request; again " FACT["settle_s"] " s after the server holds all of them with" \
        " nothing unread; and again " FACT["after_close_s"] " s after they all closed (with a reset)." \
        " **Per connection** = (RSS with the connections idle − RSS before) / connections."
    print ""
    print "| Layer | Server | per idle connection (B): median (min–max) | vs Sockets | RSS before (MiB) | RSS idle (MiB) | RSS " FACT["after_close_s"] " s after close (MiB) | after close / before |"
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (i = 1; i <= nlay; i++) {
        layer = LAY[i]
        base = ""
        key = layer SUBSEP "sockets"
        if (COUNT[key] > 0) { n = 0; for (k = 1; k <= COUNT[key]; k++) v[++n] = per_connection(key, k); base = median(v, n) }
        for (j = 1; j <= nserv; j++) {
            key = layer SUBSEP S[j]
            if (COUNT[key] == 0) continue
            n = COUNT[key]
            for (k = 1; k <= n; k++) {
                v[k] = per_connection(key, k); b[k] = BEFORE[key, k]; d[k] = IDLE[key, k]; a[k] = AFTER[key, k]
                q[k] = BEFORE[key, k] > 0 ? AFTER[key, k] / BEFORE[key, k] : 0
            }
            per = median(v, n)
            printf "| %s | %s | %s%s | %s | %s | %s | %s | %.2f |\n", LL[layer], SL[S[j]], thousands(per), range_of(v, n), \
                (base > 0 ? sprintf("%.2f", per / base) : "–"), mib(median(b, n)), mib(median(d, n)), mib(median(a, n)), median(q, n)
        }
    }
    print ""
    print "Every measurement (KiB):"
    print ""
    print "| Round | Layer | Server | connections | RSS before | RSS idle | RSS after close | B per connection |"
    print "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for (r = 1; r <= nrows; r++) {
        split(ROUNDROWS[r], f, "\t")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], SL[f[3]], thousands(f[4]), thousands(f[5]), \
            thousands(f[6]), thousands(f[7]), thousands((f[6] - f[5]) * 1024 / f[4])
    }
    print ""
    if (nnotes > 0) {
        print "Warnings:"
        print ""
        for (i = 1; i <= nnotes; i++) print "- " NOTES[i]
        print ""
    }
}
