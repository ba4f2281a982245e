module c-debian-numa/tests/image/watchdog-standin

go 1.21
