# plots.gp: the PNG plots of bench/results.md, from the data files bench/run.py writes.
#   gnuplot -e "outdir='bench/out'; pngdir='bench'; work='1000 x 2 MiB'" bench/plots.gp
if (!exists("outdir")) outdir = "bench/out"
if (!exists("pngdir")) pngdir = "bench"
if (!exists("work")) work = "1000 x 2 MiB"

set terminal pngcairo size 900,540 font "sans,10" noenhanced
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics nomirror
set yrange [0:*]

# 1. experiment cost: median with min-max error bars
set output pngdir."/experiment.png"
set title work." allocate + touch under numactl --membind 0 (median, min-max; memhog: process wall time)"
set ylabel "time (s)"
set xlabel "contender"
set style histogram errorbars gap 2 lw 1
plot outdir."/experiment.dat" using 2:3:4:xtic(1) title "4 KiB pages", \
     "" using 5:6:7 title "THP (2 MiB pages)"

# 2. accounting overhead: share of timings.total_s spent outside allocate + touch (medians)
set output pngdir."/accounting.png"
set title "test-numa-function: accounting as a share of timings.total_s (medians)"
set ylabel "share of total_s (%)"
set xlabel "page size"
set style histogram clustered gap 2
plot outdir."/accounting.dat" using ($3/($2+$3+$4+$5+$6)*100):xtic(1) title "placement (placement_s)", \
     "" using ($4/($2+$3+$4+$5+$6)*100) title "cross-check (cross_check_s)", \
     "" using ($5/($2+$3+$4+$5+$6)*100) title "MemFree snapshots (meminfo_s)", \
     "" using ($6/($2+$3+$4+$5+$6)*100) title "rest of total_s"

# 3. HTTP runtime: throughput and latency
set terminal pngcairo size 1100,480 font "sans,10" noenhanced
set output pngdir."/http.png"
set multiplot layout 1,2 title "wrk -t2 -c50 --latency on 127.0.0.1, same JSON answer (median, min-max over rounds)"
set title "throughput"
set ylabel "requests/s"
set xlabel "server"
set style histogram errorbars gap 2 lw 1
unset key
plot outdir."/http.dat" using 2:3:4:xtic(1) title "requests/s"
set title "latency"
set ylabel "latency (ms, log scale)"
set logscale y
set yrange [*:*]
set key top left
plot outdir."/http.dat" using 5:6:7:xtic(1) title "p50", "" using 8:9:10 title "p99"
unset multiplot
unset logscale y

# 4. cold start
set terminal pngcairo size 900,540 font "sans,10" noenhanced
set output pngdir."/coldstart.png"
set title "cold start: exec to first 200 answer (median, min-max)"
set ylabel "time (ms, log scale)"
set xlabel "server"
set logscale y
set yrange [*:*]
unset key
set style histogram errorbars gap 2 lw 1
plot outdir."/coldstart.dat" using 2:3:4:xtic(1) title "cold start"
