/* exp_params.c: the experiment's parameters, from the query string and/or a JSON object body.
 * Strict: unknown keys, duplicate keys, wrong types and out-of-range numbers are refused (400). */
#include "exp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum field_kind { F_INT, F_BOOL, F_ALLOC, F_NODE, F_TIER, F_PLACEMENT };

struct field {
    const char *name;
    enum field_kind kind;
    int64_t min, max;
};

static const struct field fields[] = {
    {"chunk_mb", F_INT, 1, 1024},
    {"iterations", F_INT, 1, 100000},
    {"alloc", F_ALLOC, 0, 0},
    {"node", F_NODE, 0, CDN_MAX_NODES - 1},
    {"touch", F_BOOL, 0, 0},
    {"thp", F_BOOL, 0, 0},
    {"hold_ms", F_INT, 0, 60000},
    {"placement", F_PLACEMENT, 0, 0},   /* sample (default) or full */
    {"sample", F_INT, 0, CDN_PLACE_SAMPLE_MAX},
    {"seed", F_INT, 0, ((int64_t)1 << 53) - 1},
    {"policy", F_TIER, 0, 0},           /* the tiered-memory parameters: exp_params_tier.c */
    {"nodes", F_TIER, 0, 0},
    {"migrate_to", F_TIER, 0, 0},
    {"resample_ms", F_TIER, 0, 0},
    {"measure", F_TIER, 0, 0},
    {"sweep", F_TIER, 0, 0},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])
#define KNOWN "chunk_mb, iterations, alloc, node, touch, thp, hold_ms, placement, sample, seed, " \
              "policy, nodes, migrate_to, resample_ms, measure, sweep"

void exp_params_default(struct exp_params *p)
{
    *p = (struct exp_params){.chunk_mb = 2, .iterations = 1000, .alloc = EXP_ALLOC_MMAP,
                             .node = -1, .touch = true, .thp = false, .hold_ms = 0,
                             .placement_full = false, .sample = CDN_PLACE_SAMPLE_DEFAULT, .seed = -1,
                             .tier = {.migrate_to = -1}};
}

const char *exp_alloc_name(enum exp_alloc a)
{
    return a == EXP_ALLOC_MALLOC ? "malloc" : a == EXP_ALLOC_LIBNUMA ? "libnuma" : "mmap";
}

static const struct field *find_field(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static int parse_int(const struct field *f, struct exp_value v, int64_t *out, char err[CDN_ERR_LEN])
{
    if (v.json) {
        if (!json_is_integer(v.json))
            return cdn_err(err, 0, "%s: expected a whole number", f->name);
        *out = json_integer_value(v.json);
    } else {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v.text, &end, 10);
        if (errno || end == v.text || *end)
            return cdn_err(err, 0, "%s: \"%.40s\" is not a whole number", f->name, v.text);
        *out = n;
    }
    if (*out < f->min || *out > f->max)
        return cdn_err(err, 0, "%s: %lld is out of range %lld..%lld", f->name, (long long)*out,
                       (long long)f->min, (long long)f->max);
    return 0;
}

static int parse_bool(const struct field *f, struct exp_value v, bool *out, char err[CDN_ERR_LEN])
{
    if (v.json) {
        if (!json_is_boolean(v.json))
            return cdn_err(err, 0, "%s: expected true or false", f->name);
        *out = json_is_true(v.json);
        return 0;
    }
    if (strcmp(v.text, "true") == 0 || strcmp(v.text, "1") == 0)
        *out = true;
    else if (strcmp(v.text, "false") == 0 || strcmp(v.text, "0") == 0)
        *out = false;
    else
        return cdn_err(err, 0, "%s: \"%.40s\" is not true/false/1/0", f->name, v.text);
    return 0;
}

static int parse_alloc(struct exp_value v, enum exp_alloc *out, char err[CDN_ERR_LEN])
{
    const char *s = v.json ? json_string_value(v.json) : v.text;
    if (!s)
        return cdn_err(err, 0, "alloc: expected a string");
    if (strcmp(s, "mmap") == 0) *out = EXP_ALLOC_MMAP;
    else if (strcmp(s, "malloc") == 0) *out = EXP_ALLOC_MALLOC;
    else if (strcmp(s, "libnuma") == 0) *out = EXP_ALLOC_LIBNUMA;
    else return cdn_err(err, 0, "alloc: \"%.40s\" is not one of mmap, malloc, libnuma", s);
    return 0;
}

static int parse_placement(struct exp_value v, bool *full, char err[CDN_ERR_LEN])
{
    const char *s = v.json ? json_string_value(v.json) : v.text;
    if (!s)
        return cdn_err(err, 0, "placement: expected a string");
    if (strcmp(s, "sample") != 0 && strcmp(s, "full") != 0)
        return cdn_err(err, 0, "placement: \"%.40s\" is not one of sample, full", s);
    *full = strcmp(s, "full") == 0;
    return 0;
}

static int set_field(struct exp_params *p, const struct field *f, struct exp_value v, char err[CDN_ERR_LEN])
{
    int64_t n = 0;
    switch (f->kind) {
    case F_BOOL:
        return parse_bool(f, v, strcmp(f->name, "touch") == 0 ? &p->touch : &p->thp, err);
    case F_ALLOC:
        return parse_alloc(v, &p->alloc, err);
    case F_NODE:
        if ((v.json && json_is_null(v.json)) || (v.text && *v.text == '\0')) {
            p->node = -1;
            return 0;
        }
        if (parse_int(f, v, &n, err) != 0)
            return -1;
        p->node = (int)n;
        return 0;
    case F_TIER:
        return exp_tier_param_set(&p->tier, f->name, v, err);
    case F_PLACEMENT:
        return parse_placement(v, &p->placement_full, err);
    case F_INT:
        if (parse_int(f, v, &n, err) != 0)
            return -1;
        if (strcmp(f->name, "chunk_mb") == 0) p->chunk_mb = n;
        else if (strcmp(f->name, "iterations") == 0) p->iterations = n;
        else if (strcmp(f->name, "sample") == 0) p->sample = n;
        else if (strcmp(f->name, "seed") == 0) p->seed = n;
        else p->hold_ms = n;
        return 0;
    }
    return cdn_err(err, 0, "%s: unhandled field", f->name);
}

/* Marks field f as given; refuses a second value for it. */
static int mark_seen(unsigned *seen, const struct field *f, char err[CDN_ERR_LEN])
{
    unsigned bit = 1u << (unsigned)(f - fields);
    if (*seen & bit)
        return cdn_err(err, 0, "%s: given more than once", f->name);
    *seen |= bit;
    return 0;
}

static int parse_query(const struct fn_request *req, struct exp_params *p, unsigned *seen,
                       char err[CDN_ERR_LEN])
{
    for (size_t i = 0; i < req->n_query; i++) {
        const struct field *f = find_field(req->query[i].key);
        if (!f)
            return cdn_err(err, 0, "unknown parameter \"%.40s\" (known: " KNOWN ")", req->query[i].key);
        struct exp_value v = {.text = req->query[i].value ? req->query[i].value : ""};
        if (mark_seen(seen, f, err) != 0 || set_field(p, f, v, err) != 0)
            return -1;
    }
    return 0;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            return false;
    return true;
}

static int parse_body(const struct fn_request *req, struct exp_params *p, unsigned *seen,
                      char err[CDN_ERR_LEN])
{
    /* JSON text never contains a raw NUL (inside a string it is a control character, outside
     * one no token starts with it); refuse it by name wherever it is, before the parser. */
    const char *nul = memchr(req->body, '\0', req->body_len);
    if (nul)
        return cdn_err(err, 0, "malformed JSON body: NUL byte at offset %zu (JSON does not allow "
                       "one anywhere)", (size_t)(nul - req->body));
    if (blank(req->body, req->body_len))
        return 0;
    json_error_t je;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return cdn_err(err, 0, "malformed JSON body: %s (line %d, column %d)", je.text, je.line, je.column);
    int rc = 0;
    if (!json_is_object(root)) {
        rc = cdn_err(err, 0, "the JSON body must be an object, like {\"iterations\": 100}");
    } else {
        const char *key;
        json_t *val;
        json_object_foreach(root, key, val) {
            const struct field *f = find_field(key);
            if (!f) {
                rc = cdn_err(err, 0, "unknown field \"%.40s\" (known: " KNOWN ")", key);
                break;
            }
            struct exp_value v = {.json = val};
            if (mark_seen(seen, f, err) != 0 || set_field(p, f, v, err) != 0) {
                rc = -1;
                break;
            }
        }
    }
    json_decref(root);
    return rc;
}

int exp_params_parse(const struct fn_request *req, struct exp_params *p, char err[CDN_ERR_LEN])
{
    unsigned seen = 0;
    exp_params_default(p);
    if (parse_query(req, p, &seen, err) != 0 || parse_body(req, p, &seen, err) != 0)
        return 400;
    if (p->alloc == EXP_ALLOC_LIBNUMA && p->node < 0) {
        cdn_err(err, 0, "alloc=libnuma needs a node (numa_alloc_onnode)");
        return 400;
    }
    if (exp_tier_params_check(&p->tier, p->node, p->alloc == EXP_ALLOC_MMAP, p->touch, p->hold_ms, err) != 0)
        return 400;
    if (p->thp && p->alloc != EXP_ALLOC_MMAP) {
        cdn_err(err, 0, "thp=true needs alloc=mmap: %s chunks do not start on 2 MiB boundaries, so "
                "huge pages could not back them (supported: alloc=mmap with thp and node or not; "
                "alloc=malloc, node or not; alloc=libnuma with a node)", exp_alloc_name(p->alloc));
        return 400;
    }
    return 0;
}
