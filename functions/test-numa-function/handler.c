/* handler.c: test-numa-function. Routes GET|POST / to the experiment (parse -> plan -> run ->
 * render, one experiment at a time) and GET /topology to the topology. Its state is the
 * experiment lock and the limits read at start; nothing else is shared between requests. */
#include "exp.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Under AddressSanitizer malloc is ASan's own and its mallopt() is a stub returning 0: there is
 * no glibc threshold to pin, so the refusal is not an error there. */
#if defined(__SANITIZE_ADDRESS__)
#define EXP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXP_ASAN 1
#endif
#endif
#ifndef EXP_ASAN
#define EXP_ASAN 0
#endif

struct fn_state {
    pthread_mutex_t experiment_lock;    /* two experiments would spoil each other's deltas */
    struct exp_limits limits;
};

int exp_limits_from_env(struct exp_limits *lim, char err[CDN_ERR_LEN])
{
    int64_t max_mb, reserve_mb;
    if (cdn_env_int64("EXP_MAX_TOTAL_MB", 4096, 1, (int64_t)1 << 30, &max_mb, err) != 0 ||
        cdn_env_int64("EXP_BUSY_WAIT_MS", 1000, 0, 600000, &lim->busy_wait_ms, err) != 0 ||
        cdn_env_int64("EXP_RESERVE_MB", 64, 0, (int64_t)1 << 30, &reserve_mb, err) != 0)
        return -1;
    lim->max_total_bytes = max_mb * EXP_MIB;
    lim->reserve_bytes = reserve_mb * EXP_MIB;
    return 0;
}

void *fn_init(char err[CDN_ERR_LEN])
{
    struct fn_state *s = calloc(1, sizeof *s);
    if (!s) {
        cdn_err(err, ENOMEM, "function state");
        return NULL;
    }
    int e = pthread_mutex_init(&s->experiment_lock, NULL);
    if (e != 0 || exp_limits_from_env(&s->limits, err) != 0) {
        if (e != 0)
            cdn_err(err, e, "pthread_mutex_init");
        else
            pthread_mutex_destroy(&s->experiment_lock);
        free(s);
        return NULL;
    }
    /* A fixed threshold stops glibc raising it after the first free of a 2 MiB block, and no
     * cap on the count stops it taking blocks from the heap past M_MMAP_MAX (65536 by default),
     * so alloc=malloc chunks stay separate mappings that go back to the kernel on free. */
    if ((mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1 || mallopt(M_MMAP_MAX, INT_MAX) != 1) && !EXP_ASAN) {
        cdn_err(err, 0, "mallopt(M_MMAP_THRESHOLD, M_MMAP_MAX) refused");
        pthread_mutex_destroy(&s->experiment_lock);
        free(s);
        return NULL;
    }
    return s;
}

void fn_fini(void *state)
{
    struct fn_state *s = state;
    pthread_mutex_destroy(&s->experiment_lock);
    free(s);
}

static int lock_experiment(struct fn_state *s, char err[CDN_ERR_LEN])
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += s->limits.busy_wait_ms / 1000;
    until.tv_nsec += (s->limits.busy_wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    int e = pthread_mutex_timedlock(&s->experiment_lock, &until);
    if (e == ETIMEDOUT) {
        cdn_err(err, 0, "busy: another experiment is running (waited %lld ms, EXP_BUSY_WAIT_MS)",
                (long long)s->limits.busy_wait_ms);
        return 429;
    }
    if (e != 0) {
        cdn_err(err, e, "experiment lock");
        return 500;
    }
    return 0;
}

static int experiment(struct fn_state *s, const struct fn_request *req, struct fn_response *res,
                      char err[CDN_ERR_LEN])
{
    struct exp_params params;
    int rc = exp_params_parse(req, &params, err);
    if (rc != 0)
        return rc;
    if ((rc = lock_experiment(s, err)) != 0)
        return rc;
    struct exp_world world;
    struct exp_plan plan;
    memset(&world, 0, sizeof world);
    struct exp_result *result = calloc(1, sizeof *result);
    if (!result)
        rc = (cdn_err(err, ENOMEM, "result"), 500);
    if (rc == 0)
        rc = exp_world_read(&world, err);
    if (rc == 0)
        rc = exp_plan_make(&params, &world, &s->limits, &plan, err);
    if (rc == 0)
        rc = exp_run(&plan, result, err);
    struct exp_sweep sweep = {0};
    if (rc == 0)
        rc = exp_sweep_run(&plan, &sweep, err);
    pthread_mutex_unlock(&s->experiment_lock);
    if (rc == 0 && !(res->json = exp_render(&plan, &world, result)))
        rc = (cdn_err(err, ENOMEM, "rendering the answer"), 500);
    if (rc == 0 && exp_tier_attach(res->json, &plan, &world, result, &sweep) != 0)
        rc = (cdn_err(err, ENOMEM, "rendering the answer"), 500);
    if (result)
        exp_resample_free(&result->resample);
    exp_sweep_free(&sweep);
    exp_world_free(&world);
    free(result);
    return rc;
}

static int topology(struct fn_response *res, char err[CDN_ERR_LEN])
{
    struct cdn_topo_snapshot topo;
    if (cdn_topo_read("/sys", &topo, err) != 0)
        return 503;
    struct cdn_tier_snapshot *tiers = malloc(sizeof *tiers);
    int rc = tiers ? cdn_tier_read("/sys", "/proc", topo.present, tiers, err) : cdn_err(err, ENOMEM, "tiers");
    res->json = rc == 0 ? cdn_topo_to_json(&topo) : NULL;
    cdn_topo_free(&topo);
    if (rc == 0 && (!res->json || cdn_tier_attach(res->json, tiers) != 0))
        rc = cdn_err(err, ENOMEM, "rendering the topology");
    free(tiers);
    return rc == 0 ? 0 : 500;
}

int fn_handle(void *state, const struct fn_request *req, struct fn_response *res,
              char err[CDN_ERR_LEN])
{
    bool get = fn_is_method(req, "GET"), post = fn_is_method(req, "POST");
    if (strcmp(req->path, "/") == 0) {
        if (!get && !post)
            return (cdn_err(err, 0, "method %.16s not allowed on /: use GET or POST", req->method), 405);
        return experiment(state, req, res, err);
    }
    if (strcmp(req->path, "/topology") == 0) {
        if (!get)
            return (cdn_err(err, 0, "method %.16s not allowed on /topology: use GET", req->method), 405);
        return topology(res, err);
    }
    return (cdn_err(err, 0, "no such path: %.100s (try / or /topology)", req->path), 404);
}
