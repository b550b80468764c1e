# Grouped-bar chart of the median requests/s per workload and server, written by bench/run.sh.
# Called with: gnuplot -e "datafile='...'; outfile='...'; subtitle='...'; ncols=N; base=B" chart.gp
# datafile: tab-separated, header row (workload, then one column per server), "?" for a missing value;
# ncols: its number of columns; base: the column of the baseline server (Kestrel Sockets).
# Top panel: absolute requests/s on a log scale (workloads span ~4 orders of magnitude).
# Bottom panel: the same numbers relative to the baseline.

set terminal pngcairo size 1400,1000 font "sans,11" noenhanced
set output outfile
set datafile separator "\t"
set datafile missing "?"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside right top vertical
set xtics scale 0

set multiplot layout 2,1 title "StaticHostApp and plaintext: epoll transport vs Kestrel Sockets vs nginx   (" . subtitle . ")"

set title "Requests per second (median over rounds; log scale)"
set logscale y 10
set yrange [10:*]
set ylabel "requests/s"
plot for [i=2:ncols] datafile using i:xtic(1) title columnheader(i)

# The ratio panel needs the Sockets column (base is 0 when --servers left it out).
if (base > 0) {
    unset logscale y
    set yrange [0:*]
    set title "Relative to Kestrel Sockets (= 1.0)"
    set ylabel "ratio"
    plot for [i=2:ncols] datafile using (column(i)/column(base)):xtic(1) title columnheader(i), \
         1 with lines dt 2 lc rgb "black" notitle
}

unset multiplot
