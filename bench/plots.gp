# plots.gp: the PNG plots of bench/results.md, from the data files bench/run.py writes.
#   gnuplot -e "outdir='bench/out'; pngdir='bench'; work='1000 x 2 MiB'" bench/plots.gp
# have_exp, have_http, have_cold, have_watchdog (default 1): 0 skips that section's plots.
if (!exists("outdir")) outdir = "bench/out"
if (!exists("pngdir")) pngdir = "bench"
if (!exists("work")) work = "1000 x 2 MiB"
if (!exists("have_exp")) have_exp = 1
if (!exists("have_http")) have_http = 1
if (!exists("have_cold")) have_cold = 1
if (!exists("have_watchdog")) have_watchdog = 1

set terminal pngcairo size 900,540 font "sans,10" noenhanced
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics nomirror
set yrange [0:*]

if (have_exp) {
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
set title "test-numa-function, default placement: accounting as a share of timings.total_s (medians)"
set ylabel "share of total_s (%)"
set xlabel "where, page size"
set key below
set style histogram clustered gap 2
plot outdir."/accounting.dat" using ($3/($2+$3+$4+$5+$6)*100):xtic(1) title "placement (placement_s)", \
     "" using ($4/($2+$3+$4+$5+$6)*100) title "cross-check (cross_check_s)", \
     "" using ($5/($2+$3+$4+$5+$6)*100) title "snapshots (meminfo_s + attribution.snapshot_s)", \
     "" using ($6/($2+$3+$4+$5+$6)*100) title "rest of total_s"
set key inside top left
}

if (have_http) {
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
set yrange [0:*]
}

if (have_cold) {
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
unset logscale y
set yrange [0:*]
}

if (have_watchdog) {
# 5. through the real watchdog in a container: throughput, experiment, start, image size
set terminal pngcairo size 1200,860 font "sans,10" noenhanced
set output pngdir."/watchdog.png"
set multiplot layout 2,2 title "through of-watchdog in a container (docker run -p 127.0.0.1:PORT:8080; median, min-max)"
set style histogram errorbars gap 2 lw 1
unset key
set title "wrk -t2 -c50: throughput"
set ylabel "requests/s"
set xlabel "upstream"
plot outdir."/watchdog_http.dat" using 2:3:4:xtic(1) title "requests/s"
set title work." experiment: C vs Python"
set ylabel "time (s)"
set xlabel ""
set key below
plot outdir."/watchdog_exp.dat" using 2:3:4:xtic(1) title "alloc+touch (in process)", \
     "" using 5:6:7 title "request (curl time_total)"
unset key
set title "container start to first 200"
set ylabel "time (ms)"
set xlabel "image"
plot outdir."/watchdog_start.dat" using 2:3:4:xtic(1) title "first 200"
set title "image size (docker image inspect)"
set ylabel "size (MB)"
set xlabel "image"
set style histogram clustered gap 2
plot outdir."/watchdog_start.dat" using 5:xtic(1) title "size"
unset multiplot
}
