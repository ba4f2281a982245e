/* cli.h: strict number parsing for the bench tools' command-line options. */
#ifndef CDN_BENCH_CLI_H
#define CDN_BENCH_CLI_H

#include <errno.h>
#include <stdlib.h>

/* Parses a whole decimal number in [min, max]; -1 on anything else. */
static inline int parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

#endif /* CDN_BENCH_CLI_H */
