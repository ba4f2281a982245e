/* coldstart.c: cold start of an HTTP server, from exec to its first 200 answer.
 *
 *   coldstart [-n REPS] [-p PORT] [-w PATH] [-t TIMEOUT_MS] -- PROGRAM [ARGS...]
 *     -n  repetitions (1-1000, default 10); repetition i uses port PORT+i
 *     -p  first port (1024-65000, default 18200)
 *     -w  path to GET (default "/")
 *     -t  give up on a repetition after this many milliseconds (1-60000, default 10000)
 *
 * For each repetition: check that nothing listens on the port, read the clock, fork, and in
 * the child set FN_PORT and FN_ADDR=127.0.0.1 and exec PROGRAM. The parent connects to
 * 127.0.0.1:PORT every 100 us until the connection is accepted, sends one GET with
 * "Connection: close" and reads the status line; a 200 stops the clock. The child is then
 * killed (SIGKILL) and reaped. Prints one line per repetition: "rep port seconds attempts".
 * Exits 1 if any repetition fails (the server exited, answered non-200, or timed out). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CS_POLL_NS 100000L      /* 100 us between connection attempts */
#define CS_REAP_TRIES 5000      /* x 1 ms: how long to wait for a killed child */
#define CS_READ_TRIES 64        /* reads of the status line */

struct cs_opts {
    long reps;
    long port;
    const char *path;
    long timeout_ms;
    char **argv;
};

static int parse_args(int argc, char **argv, struct cs_opts *o)
{
    o->reps = 10;
    o->port = 18200;
    o->path = "/";
    o->timeout_ms = 10000;
    int c;
    while ((c = getopt(argc, argv, "+n:p:w:t:")) != -1) {
        switch (c) {
        case 'n':
            if (parse_long(optarg, 1, 1000, &o->reps) != 0)
                return -1;
            break;
        case 'p':
            if (parse_long(optarg, 1024, 65000, &o->port) != 0)
                return -1;
            break;
        case 'w':
            if (optarg[0] != '/' || strlen(optarg) > 512)
                return -1;
            o->path = optarg;
            break;
        case 't':
            if (parse_long(optarg, 1, 60000, &o->timeout_ms) != 0)
                return -1;
            break;
        default:
            return -1;
        }
    }
    if (optind >= argc)
        return -1;
    o->argv = argv + optind;
    return 0;
}

static int now(struct timespec *ts)
{
    if (clock_gettime(CLOCK_MONOTONIC, ts) != 0) {
        perror("clock_gettime");
        return -1;
    }
    return 0;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Connects to 127.0.0.1:port. Returns the socket, -2 when refused (nobody listens yet), or
 * -1 on any other error (message printed). */
static int try_connect(long port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    int e = errno;
    if (close(fd) != 0)
        perror("close");
    if (e == ECONNREFUSED)
        return -2;
    errno = e;
    perror("connect");
    return -1;
}

/* Sends GET path and reads the status line. Returns the HTTP status, 0 when the server
 * closed or reset the connection before answering, or -1 on a local error. */
static int get_status(int fd, const char *path, long port)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        perror("setsockopt");
        return -1;
    }
    char req[640];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%ld\r\nConnection: close\r\n\r\n",
                     path, port);
    if (n < 0 || (size_t)n >= sizeof req) {
        fprintf(stderr, "request too long\n");
        return -1;
    }
    ssize_t sent = send(fd, req, (size_t)n, MSG_NOSIGNAL);
    if (sent < 0 && (errno == ECONNRESET || errno == EPIPE))
        return 0;
    if (sent != n) {
        perror("send");
        return -1;
    }
    char buf[128];
    size_t got = 0;
    for (int i = 0; i < CS_READ_TRIES && got < 12; i++) {
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECONNRESET)
                return 0;
            perror("recv");
            return -1;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    int status = 0;
    if (got < 12 || sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
        return 0;
    return status;
}

/* Kills and reaps the child within a bounded wait. Returns 0, or -1 on failure. */
static int stop_child(pid_t pid)
{
    if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        perror("kill");
        return -1;
    }
    struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000L};
    for (int i = 0; i < CS_REAP_TRIES; i++) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD)) /* ECHILD: already reaped */
            return 0;
        if (w < 0) {
            perror("waitpid");
            return -1;
        }
        if (nanosleep(&ms, NULL) != 0 && errno != EINTR) {
            perror("nanosleep");
            return -1;
        }
    }
    fprintf(stderr, "child %d did not exit\n", (int)pid);
    return -1;
}

/* Starts the program with FN_PORT=port. Returns its pid, or -1. */
static pid_t spawn(const struct cs_opts *o, long port)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%ld", port);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        if (setenv("FN_PORT", port_text, 1) != 0 || setenv("FN_ADDR", "127.0.0.1", 1) != 0) {
            perror("setenv");
            _exit(126);
        }
        execvp(o->argv[0], o->argv);
        perror("execvp");
        _exit(127);
    }
    return pid;
}

/* Polls until the program answers 200 on o->path: 1 with *attempts set, 0 when it has not yet
 * (poll again), -1 on failure (it exited, answered something else, or a call failed). */
static int poll_once(const struct cs_opts *o, pid_t pid, long port)
{
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
        fprintf(stderr, "%s exited before answering (status %d)\n", o->argv[0], st);
        return -1;
    }
    if (w < 0) {
        perror("waitpid");
        return -1;
    }
    int fd = try_connect(port);
    if (fd == -1)
        return -1;
    if (fd < 0)
        return 0;
    int status = get_status(fd, o->path, port);
    if (close(fd) != 0)
        perror("close");
    if (status > 0 && status != 200)
        fprintf(stderr, "%s answered %d\n", o->argv[0], status);
    return status == 200 ? 1 : status == 0 ? 0 : -1;
}

/* One repetition: prints its line and returns 0, or -1 on failure. */
static int one_rep(const struct cs_opts *o, long rep)
{
    long port = o->port + rep;
    int probe = try_connect(port);
    if (probe >= 0) {
        fprintf(stderr, "port %ld: something already listens\n", port);
        if (close(probe) != 0)
            perror("close");
        return -1;
    }
    struct timespec t0, t1;
    if (probe == -1 || now(&t0) != 0)
        return -1;
    pid_t pid = spawn(o, port);
    if (pid < 0)
        return -1;
    struct timespec poll = {.tv_sec = 0, .tv_nsec = CS_POLL_NS};
    long max_attempts = o->timeout_ms * 1000000L / CS_POLL_NS, attempts = 0;
    int got = 0;
    while (got == 0 && attempts++ < max_attempts) {
        got = poll_once(o, pid, port);
        if (got == 0 && nanosleep(&poll, NULL) != 0 && errno != EINTR) {
            perror("nanosleep");
            got = -1;
        }
    }
    int rc = -1;
    if (got == 1 && now(&t1) == 0) {
        printf("%ld %ld %.6f %ld\n", rep, port, elapsed(&t0, &t1), attempts);
        rc = 0;
    } else if (got == 0) {
        fprintf(stderr, "%s: no answer within %ld ms\n", o->argv[0], o->timeout_ms);
    }
    if (stop_child(pid) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    struct cs_opts o;
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: coldstart [-n REPS] [-p PORT] [-w PATH] [-t TIMEOUT_MS] "
                        "-- PROGRAM [ARGS...]\n");
        return 2;
    }
    for (long rep = 0; rep < o.reps; rep++) {
        if (one_rep(&o, rep) != 0)
            return 1;
        if (fflush(stdout) != 0) {
            perror("stdout");
            return 1;
        }
    }
    return 0;
}
