/* fuzz_parsers.c: the libFuzzer target for everything that parses outside input: the
 * experiment's parameters (query pairs + JSON body, exp_params_parse), node lists
 * (cdn_nodeset_parse), environment numbers and durations (cdn_env_int64, cdn_env_duration_ms),
 * numa_maps text (place_parse_numa_maps), nodeN/meminfo files (meminfo_parse_file) and
 * /proc/self/cgroup (cg_memory_read).
 *
 * Input: the first byte picks the parser ('p' params, 'n' node list, 'd' duration and integer,
 * 'm' numa_maps, 'i' meminfo, 'c' cgroup; any other byte picks by its value modulo 6), the rest
 * is the parser's text. For 'p' the text is "query\0body": the query is split on '&' into
 * key[=value] pairs, as the server hands them over after decoding. */
#include "exp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_MAX_PAIRS 128  /* the server's own cap on query arguments */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static void fuzz_params(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t qlen = nul ? (size_t)(nul - data) : size;
    char *query = dup_text(data, qlen);
    size_t blen = nul ? size - qlen - 1 : 0;
    char *body = dup_text(nul ? nul + 1 : data, blen);

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
                             .body = body, .body_len = blen};
    struct exp_params p;
    char err[CDN_ERR_LEN];
    int rc = exp_params_parse(&req, &p, err);
    if (rc != 0 && rc != 400)
        abort();
    if (rc == 0 && (p.chunk_mb < 1 || p.chunk_mb > 1024 || p.iterations < 1 ||
                    p.iterations > 100000 || p.hold_ms < 0 || p.hold_ms > 60000 ||
                    p.node < -1 || p.node >= CDN_MAX_NODES))
        abort();    /* a value out of range got through */
    if (rc != 0 && memchr(err, '\0', CDN_ERR_LEN) == NULL)
        abort();
    free(query);
    free(body);
}

static void fuzz_nodeset(const uint8_t *data, size_t size)
{
    char *text = dup_text(data, size);
    cdn_nodeset set = 0, again = 0;
    char err[CDN_ERR_LEN], buf[512];
    if (cdn_nodeset_parse(text, &set, err) == 0) {
        /* What is printed parses back to the same set. */
        cdn_nodeset_format(set, buf, sizeof buf);
        if (cdn_nodeset_parse(buf, &again, err) != 0 || again != set)
            abort();
        json_decref(cdn_nodeset_json(set));
        (void)cdn_nodeset_count(set);
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
        abort();
    put = 1;
    size_t n = size < sizeof knob - prefix - 1 ? size : sizeof knob - prefix - 1;
    memcpy(knob + prefix, data, n);
    knob[prefix + n] = '\0';
    const char *text = knob + prefix;
    int64_t v = 0;
    char err[CDN_ERR_LEN];
    if (cdn_env_duration_ms("FUZZ_KNOB", 1234, &v, err) == 0 && *text && v < 0)
        abort();    /* a duration is never negative */
    if (cdn_env_int64("FUZZ_KNOB", 7, -5, 1000, &v, err) == 0 && (v < -5 || v > 1000))
        abort();
}

/* A memfd holding the text, named by a /proc path, for the parsers that take a path. */
static int memfd_path(const uint8_t *data, size_t size, char *path, size_t len)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("fuzz-input", MFD_CLOEXEC)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

static void fuzz_numa_maps(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        abort();
    const struct place_range ranges[] = {
        {(void *)(uintptr_t)0x7f0000000000ull, (size_t)1 << 30},
        {(void *)(uintptr_t)0x400000ull, 0x200000},
    };
    struct place_result res;
    memset(&res, 0, sizeof res);
    char err[CDN_ERR_LEN];
    if (place_parse_numa_maps(f, ranges, 2, &res, err) == 0)
        json_decref(place_to_json(&res, 1));
    fclose(f);
}

static void fuzz_meminfo(const uint8_t *data, size_t size)
{
    char path[64];
    memfd_path(data, size, path, sizeof path);
    int64_t total = 0, free_b = 0;
    char err[CDN_ERR_LEN];
    (void)meminfo_parse_file(path, &total, &free_b, err);
}

static void fuzz_cgroup(const uint8_t *data, size_t size)
{
    char path[64];
    memfd_path(data, size, path, sizeof path);
    struct cg_memory m;
    char err[CDN_ERR_LEN];
    /* No cgroup tree exists under this root: only the parse of the text is exercised. */
    if (cg_memory_read(path, "/nonexistent-cgroup-root", &m, err) == 0) {
        json_decref(cg_memory_to_json(&m));
        if (m.version != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static void (*const by_index[6])(const uint8_t *, size_t) = {
        fuzz_params, fuzz_nodeset, fuzz_env, fuzz_numa_maps, fuzz_meminfo, fuzz_cgroup};
    void (*fn)(const uint8_t *, size_t);
    switch (data[0]) {
    case 'p': fn = fuzz_params; break;
    case 'n': fn = fuzz_nodeset; break;
    case 'd': fn = fuzz_env; break;
    case 'm': fn = fuzz_numa_maps; break;
    case 'i': fn = fuzz_meminfo; break;
    case 'c': fn = fuzz_cgroup; break;
    default: fn = by_index[data[0] % 6]; break;
    }
    fn(data + 1, size - 1);
    return 0;
}
