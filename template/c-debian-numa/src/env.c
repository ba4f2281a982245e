/* env.c: strict parsing of environment knobs: integers with ranges, and durations written the
 * way of-watchdog reads them (plain seconds or Go durations such as "90s", "2m", "1m30s"). */
#include "handler.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int cdn_env_int64(const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out, char err[CDN_ERR_LEN])
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0')
        return cdn_err(err, 0, "%s=%s: not a whole number", name, v);
    if (n < min || n > max)
        return cdn_err(err, 0, "%s=%s: out of range %lld..%lld", name, v,
                       (long long)min, (long long)max);
    *out = (int64_t)n;
    return 0;
}

/* Parses "90", "90s", "1m30s", "500ms", "2h" into milliseconds. */
static int parse_duration_ms(const char *v, int64_t *out)
{
    const char *p = v;
    int64_t total = 0;
    char *end = NULL;
    errno = 0;
    long long plain = strtoll(v, &end, 10);
    if (errno == 0 && end != v && *end == '\0') {
        if (plain < 0 || plain > INT64_MAX / 1000)
            return -1;
        *out = plain * 1000;
        return 0;
    }
    for (int parts = 0; *p && parts < 8; parts++) {
        errno = 0;
        double n = strtod(p, &end);
        if (errno != 0 || end == p || !(n >= 0))   /* also refuses "nan" */
            return -1;
        p = end;
        double mult;
        if (strncmp(p, "ms", 2) == 0) { mult = 1; p += 2; }
        else if (*p == 'h') { mult = 3600e3; p++; }
        else if (*p == 'm') { mult = 60e3; p++; }
        else if (*p == 's') { mult = 1e3; p++; }
        else return -1;
        double ms = n * mult;
        if (ms > 1e15)
            return -1;
        total += (int64_t)ms;
    }
    if (*p)
        return -1;
    *out = total;
    return 0;
}

int cdn_env_duration_ms(const char *name, int64_t def_ms, int64_t *out_ms, char err[CDN_ERR_LEN])
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out_ms = def_ms;
        return 0;
    }
    if (parse_duration_ms(v, out_ms) != 0)
        return cdn_err(err, 0, "%s=%s: not a duration (seconds, or e.g. 90s, 2m, 500ms)", name, v);
    return 0;
}
