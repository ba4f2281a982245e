/* exp_resample.c: hold_ms with resample_ms: while the buffers are held, re-read their placement
 * every resample_ms (the series of per-node page counts) and the /proc/vmstat counters of pages
 * that move (pgdemote_*, pgpromote_*, numa_pages_migrated, pgmigrate_success/fail), so demotion,
 * promotion and NUMA-balancing migration show as they happen. */
#include "exp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool wanted(const char *name)
{
    return strncmp(name, "pgdemote_", 9) == 0 || strncmp(name, "pgpromote_", 10) == 0 ||
           strcmp(name, "numa_pages_migrated") == 0 || strcmp(name, "pgmigrate_success") == 0 ||
           strcmp(name, "pgmigrate_fail") == 0;
}

int exp_vmstat_parse(FILE *f, struct exp_vmstat *out, char err[CDN_ERR_LEN])
{
    char line[256];
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 10000 && fgets(line, sizeof line, f); i++) {
        char name[64];
        long long v;
        if (sscanf(line, "%63s %lld", name, &v) != 2 || !wanted(name) || strlen(name) >= sizeof out->name[0])
            continue;
        if (out->n == EXP_MAX_COUNTERS)
            break;
        snprintf(out->name[out->n], sizeof out->name[0], "%s", name);
        out->value[out->n++] = v;
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read vmstat");
    return 0;
}

int exp_vmstat_read(const char *path, struct exp_vmstat *out, char err[CDN_ERR_LEN])
{
    FILE *f = fopen(path, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", path);
    int rc = exp_vmstat_parse(f, out, err);
    fclose(f);
    return rc;
}

/* Sleeps until the monotonic time `at` (seconds). */
static void sleep_until(double at)
{
    struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
    for (int i = 0; i < 1000 && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR; i++)
        ;
}

static int take_sample(const struct cdn_place_range *r, size_t n, struct exp_resample *out, double t0,
                       char err[CDN_ERR_LEN])
{
    struct exp_sample *s = &out->samples[out->n];
    struct cdn_place_result pr;
    struct exp_vmstat now;
    double t = cdn_now();
    s->t_ms = (t - t0) * 1000.0;
    if (cdn_place_query(r, n, &pr, err) != 0 || exp_vmstat_read("/proc/vmstat", &now, err) != 0)
        return -1;
    out->read_s += cdn_now() - t;
    out->source = pr.source;
    memcpy(s->per_node, pr.per_node, sizeof s->per_node);
    s->not_present = pr.not_present;
    for (int i = 0; i < out->start.n && i < now.n; i++)
        s->counters[i] = now.value[i] - out->start.value[i];
    out->n++;
    return 0;
}

int exp_resample_hold(const struct cdn_place_range *r, size_t n, int64_t hold_ms, int64_t every_ms,
                      struct exp_resample *out, char err[CDN_ERR_LEN])
{
    int cap = (int)(hold_ms / every_ms) + 1;
    memset(out, 0, sizeof *out);
    out->samples = calloc((size_t)cap, sizeof *out->samples);
    if (!out->samples)
        return cdn_err(err, ENOMEM, "resample series");
    out->done = true;
    if (exp_vmstat_read("/proc/vmstat", &out->start, err) != 0)
        return -1;
    double t0 = cdn_now(), end = t0 + (double)hold_ms / 1000.0;
    for (int i = 0; out->n < cap && i < cap; i++) {
        double at = t0 + (double)i * (double)every_ms / 1000.0;
        if (i > 0 && at < cdn_now())
            continue;   /* the last read ran past this slot: take the next one */
        sleep_until(at);
        if (take_sample(r, n, out, t0, err) != 0)
            return -1;
    }
    sleep_until(end);
    return exp_vmstat_read("/proc/vmstat", &out->end, err);
}

void exp_resample_free(struct exp_resample *r)
{
    free(r->samples);
    r->samples = NULL;
    r->n = 0;
}
