#!/bin/sh
# gated-start.sh: an fprocess for the image suite whose upstream becomes ready only when told: it waits
# (at most 60 s) for /tmp/upstream-go, then runs the server as the image's fprocess does. Mounted into
# the container; the watchdog forks it in place of `numactl --membind 0 /home/app/server`.
i=0
while [ ! -e /tmp/upstream-go ] && [ "$i" -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
exec numactl --membind 0 /home/app/server
