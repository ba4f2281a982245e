/* fuzz_parsers.c: the libFuzzer target for every parser of outside input. This file holds the
 * entry point and the parsers of what users and operators write: the experiment's parameters
 * (query pairs + JSON body, exp_params_parse), node lists (cdn_nodeset_parse), CPU lists
 * (cdn_cpuset_parse), environment numbers and durations (cdn_env_int64, cdn_env_duration_ms).
 * fuzz_text.c feeds the parsers of kernel text in memory, fuzz_trees.c those that read files.
 *
 * Input: the first byte picks the parser ('p' params, 'n' node list, 'u' CPU list, 'd' duration
 * and integer, 'm' numa_maps, 'z' zoneinfo, 'k' node meminfo + numastat, 'r' a process's
 * numa_maps + status, 'i' meminfo tree, 'c' cgroup, 't' topology, 's' process status, 'a' smaps;
 * any other byte picks by its value modulo 13), the rest is the parser's text. Parsers that read several
 * texts take NUL-separated parts (see each one). For 'p' the text is "query\0body": the query is
 * split on '&' into key[=value] pairs, as the server hands them over after decoding. */
#include "exp.h"
#include "fuzz.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_MAX_PAIRS 128  /* the server's own cap on query arguments */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: invariant broken: %s\n", what);
    abort();
}

char *fuzz_dup_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        fuzz_fail("out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max)
{
    size_t n = 0;
    while (n + 1 < max) {
        const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
        if (!nul)
            break;
        parts[n++] = (struct fuzz_part){data, (size_t)(nul - data)};
        size -= (size_t)(nul - data) + 1;
        data = nul + 1;
    }
    parts[n++] = (struct fuzz_part){data, size};
    for (size_t i = n; i < max; i++)
        parts[i] = (struct fuzz_part){(const uint8_t *)"", 0};
    return n;
}

int fuzz_is_ascii(const struct fuzz_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < parts[i].len; k++)
            if (parts[i].data[k] >= 0x80)
                return 0;
    return 1;
}

int fuzz_json_usable(const json_t *j, const struct fuzz_part *parts, size_t n, const char *who)
{
    if (j)
        return 1;
    if (fuzz_is_ascii(parts, n))
        fuzz_fail(who);
    return 0;
}

void check_err(const char err[CDN_ERR_LEN], const char *who)
{
    if (memchr(err, '\0', CDN_ERR_LEN) == NULL || err[0] == '\0')
        fuzz_fail(who);
}

static void fuzz_params(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    fuzz_split(data, size, part, 2);
    char *query = fuzz_dup_text(part[0].data, part[0].len);
    char *body = fuzz_dup_text(part[1].data, part[1].len);

    struct fn_pair pairs[FUZZ_MAX_PAIRS];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(query, "&", &save); tok && n < FUZZ_MAX_PAIRS;
         tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        pairs[n].key = tok;
        pairs[n].value = eq ? eq + 1 : NULL;
        n++;
    }
    struct fn_request req = {.method = "POST", .path = "/", .query = pairs, .n_query = n,
                             .body = body, .body_len = part[1].len};
    struct exp_params p;
    char err[CDN_ERR_LEN];
    int rc = exp_params_parse(&req, &p, err);
    if (rc != 0 && rc != 400)
        fuzz_fail("exp_params_parse: a status other than 0 or 400");
    if (rc == 0 && (p.chunk_mb < 1 || p.chunk_mb > 1024 || p.iterations < 1 ||
                    p.iterations > 100000 || p.hold_ms < 0 || p.hold_ms > 60000 ||
                    p.node < -1 || p.node >= CDN_MAX_NODES))
        fuzz_fail("exp_params_parse: a value out of range got through");
    if (rc != 0)
        check_err(err, "exp_params_parse: a 400 without error text");
    free(query);
    free(body);
}

static void fuzz_nodeset(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_text(data, size);
    cdn_nodeset set = 0, again = 0;
    char err[CDN_ERR_LEN], buf[512];
    if (cdn_nodeset_parse(text, &set, err) == 0) {
        /* What is printed parses back to the same set. */
        cdn_nodeset_format(set, buf, sizeof buf);
        if (cdn_nodeset_parse(buf, &again, err) != 0 || again != set)
            fuzz_fail("cdn_nodeset_format does not parse back to the same set");
        json_t *arr = cdn_nodeset_json(set);
        if (!arr || json_array_size(arr) != (size_t)cdn_nodeset_count(set))
            fuzz_fail("cdn_nodeset_json: one member per node");
        json_decref(arr);
    } else {
        check_err(err, "cdn_nodeset_parse: refused without error text");
    }
    free(text);
}

/* setenv() keeps every value it was ever given: the knob is put once, then rewritten in place. */
static void fuzz_env(const uint8_t *data, size_t size)
{
    static char knob[4096 + 16] = "FUZZ_KNOB=";
    const size_t prefix = strlen("FUZZ_KNOB=");
    static int put;
    if (!put && putenv(knob) != 0)
        fuzz_fail("putenv");
    put = 1;
    size_t n = size < sizeof knob - prefix - 1 ? size : sizeof knob - prefix - 1;
    memcpy(knob + prefix, data, n);
    knob[prefix + n] = '\0';
    const char *text = knob + prefix;
    int64_t v = 0;
    char err[CDN_ERR_LEN];
    if (cdn_env_duration_ms("FUZZ_KNOB", 1234, &v, err) == 0 && *text && v < 0)
        fuzz_fail("cdn_env_duration_ms: a negative duration");
    if (cdn_env_int64("FUZZ_KNOB", 7, -5, 1000, &v, err) == 0 && (v < -5 || v > 1000))
        fuzz_fail("cdn_env_int64: a value outside its bounds");
}

/* A cpulist parses to a set that prints back to a list of the same set, as many CPUs as it has. */
static void fuzz_cpuset(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_text(data, size);
    static cdn_cpuset set, again;
    char err[CDN_ERR_LEN];
    if (cdn_cpuset_parse(text, &set, err) == 0) {
        char *printed = cdn_cpuset_format(&set);
        if (!printed)
            fuzz_fail("cdn_cpuset_format: NULL");
        if (cdn_cpuset_parse(printed, &again, err) != 0 || memcmp(&set, &again, sizeof set) != 0)
            fuzz_fail("cdn_cpuset_format does not parse back to the same set");
        int n = 0;
        for (int cpu = 0; cpu < CDN_MAX_CPUS; cpu++)
            n += cdn_cpuset_has(&set, cpu) != 0;
        if (n != cdn_cpuset_count(&set))
            fuzz_fail("cdn_cpuset_count differs from the CPUs the set has");
        free(printed);
    } else {
        check_err(err, "cdn_cpuset_parse: refused without error text");
    }
    free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (fuzz_trees_init() != 0)
        fuzz_fail("cannot build the scratch tree of kernel files");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        char key;
        void (*fn)(const uint8_t *, size_t);
    } targets[] = {
        {'p', fuzz_params}, {'n', fuzz_nodeset}, {'u', fuzz_cpuset}, {'d', fuzz_env},
        {'m', fuzz_numa_maps}, {'z', fuzz_zoneinfo}, {'k', fuzz_nodestat}, {'r', fuzz_procstat},
        {'i', fuzz_meminfo}, {'c', fuzz_cgroup}, {'t', fuzz_topology}, {'s', fuzz_status},
        {'a', fuzz_smaps},
    };
    const size_t n = sizeof targets / sizeof targets[0];
    if (size == 0)
        return 0;
    size_t pick = data[0] % n;
    for (size_t i = 0; i < n; i++)
        if (targets[i].key == (char)data[0])
            pick = i;
    targets[pick].fn(data + 1, size - 1);
    return 0;
}
