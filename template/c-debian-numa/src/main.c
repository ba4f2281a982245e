/* main.c: process lifecycle. Reads the environment, listens before anything slow, starts the
 * function and the server, then waits for SIGTERM/SIGINT: keeps serving for
 * healthcheck_interval (SIGTERM only), stops accepting, drains in-flight requests for at most
 * write_timeout, and exits 0. What is still in flight then is abandoned (logged as such, and the
 * process exits without waiting for it), so the exit never comes later than
 * healthcheck_interval + write_timeout after SIGTERM, when of-watchdog itself is gone. Any
 * failure to start exits 1 with one line on stderr. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct lifecycle {
    int64_t write_timeout_ms;
    int64_t healthcheck_interval_ms;
};

static int lifecycle_from_env(struct lifecycle *lc, char err[CDN_ERR_LEN])
{
    if (cdn_env_duration_ms("write_timeout", 10000, &lc->write_timeout_ms, err) != 0)
        return -1;
    return cdn_env_duration_ms("healthcheck_interval", lc->write_timeout_ms,
                               &lc->healthcheck_interval_ms, err);
}

/* Waits for in-flight requests to finish, at most limit_ms by the clock, polling every 10 ms.
 * Returns 1 when none is left. */
static int drain(const struct cdn_srv *s, int64_t limit_ms)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    double until = cdn_now() + (double)limit_ms / 1000.0;
    while (cdn_srv_in_flight(s) > 0 && cdn_now() < until)
        nanosleep(&tick, NULL);
    return cdn_srv_in_flight(s) == 0;
}

/* After SIGTERM of-watchdog keeps forwarding requests for healthcheck_interval: go on serving
 * them. A second signal ends the wait early. */
static void serve_grace(const sigset_t *set, int64_t interval_ms)
{
    if (interval_ms <= 0)
        return;
    struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000};
    while (sigtimedwait(set, NULL, &ts) < 0 && errno == EINTR)
        ;
}

/* After the signal: grace (SIGTERM), quiesce, drain, then stop cleanly or abandon. */
static int shut_down(struct cdn_srv *s, void *state, const sigset_t *stop, int sig,
                     const struct lifecycle *lc)
{
    if (sig == SIGTERM) {
        fprintf(stderr, "server: SIGTERM: serving %lld ms more, then draining for at most %lld ms\n",
                (long long)lc->healthcheck_interval_ms, (long long)lc->write_timeout_ms);
        serve_grace(stop, lc->healthcheck_interval_ms);
    }
    cdn_srv_quiesce(s);
    if (!drain(s, lc->write_timeout_ms)) {
        int64_t n = cdn_srv_abandon(s, "write_timeout passed");
        fprintf(stderr, "server: write_timeout passed with %lld request(s) in flight: abandoned; "
                "exiting\n", (long long)n);
        /* Their handlers still run and hold the function's state: exit without joining them. */
        _exit(0);
    }
    fprintf(stderr, "server: stopped accepting; every request finished; exiting\n");
    cdn_srv_stop(s);
    fn_fini(state);
    return 0;
}

/* Blocks SIGTERM/SIGINT (the server's threads inherit the mask) and ignores SIGPIPE. */
static int signals_setup(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || pthread_sigmask(SIG_BLOCK, stop, NULL) != 0) {
        fprintf(stderr, "server: signal setup: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(void)
{
    char err[CDN_ERR_LEN];
    struct cdn_srv_config cfg;
    struct lifecycle lc;
    sigset_t stop;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (cdn_srv_config_from_env(&cfg, err) != 0 || lifecycle_from_env(&lc, err) != 0) {
        fprintf(stderr, "server: bad environment: %s\n", err);
        return 1;
    }
    /* Before any thread starts, so every server thread inherits the mask. */
    if (signals_setup(&stop) != 0)
        return 1;
    json_object_seed(0);
    int fd = cdn_srv_listen(&cfg, err);
    if (fd < 0) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    void *state = fn_init(err);
    if (!state) {
        fprintf(stderr, "server: function init failed: %s\n", err);
        close(fd);
        return 1;
    }
    struct cdn_srv *s = cdn_srv_start(&cfg, fd, state, err);
    if (!s) {
        fprintf(stderr, "server: %s\n", err);
        fn_fini(state);
        return 1;
    }
    fprintf(stderr, "server: listening on http://%s:%d (pid %d)\n", cfg.addr, cfg.port, (int)getpid());
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    return shut_down(s, state, &stop, sig, &lc);
}
