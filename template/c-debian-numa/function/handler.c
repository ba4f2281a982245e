/* handler.c: the function. `faas-cli new --lang c-debian-numa NAME` copies this folder to
 * ./NAME/; edit it, and read ../handler.h (the only header you include; the cdn_* NUMA toolkit
 * comes with it). Its tests are in tests/: the image's build stage runs them, so a failing test
 * fails `faas-cli build`.
 *
 * Routes: GET /policy answers where this function runs and which memory policy it runs under
 * (set by `numactl --membind N` in fprocess); GET /text answers plain text; GET or POST on any
 * other path echoes what it received as JSON; any other method gets 405. */
#include "handler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This function keeps no state; the runtime needs a non-NULL pointer all the same. */
static const int no_state;

void *fn_init(char err[CDN_ERR_LEN])
{
    (void)err;
    return (void *)&no_state;
}

void fn_fini(void *state)
{
    (void)state;
}

static int policy_answer(struct fn_response *res, char err[CDN_ERR_LEN])
{
    struct cdn_proc_policy pol;
    if (cdn_policy_read("/proc/self/status", &pol, err) != 0)
        return 503;
    res->json = cdn_policy_to_json(&pol);
    if (!res->json)
        return cdn_err(err, ENOMEM, "rendering the policy"), 500;
    return 0;
}

static int text_answer(const struct fn_request *req, struct fn_response *res, char err[CDN_ERR_LEN])
{
    const char *who = fn_query(req, "name");
    if (asprintf(&res->text, "Hello, %.64s\n", who && *who ? who : "world") < 0) {
        res->text = NULL;
        return cdn_err(err, ENOMEM, "rendering the greeting"), 500;
    }
    res->text_len = strlen(res->text);
    return 0;
}

int fn_handle(void *state, const struct fn_request *req, struct fn_response *res,
              char err[CDN_ERR_LEN])
{
    (void)state;
    if (!fn_is_method(req, "GET") && !fn_is_method(req, "POST"))
        return cdn_err(err, 0, "method %.16s not allowed: use GET or POST", req->method), 405;
    if (fn_is_method(req, "GET") && strcmp(req->path, "/policy") == 0)
        return policy_answer(res, err);
    if (fn_is_method(req, "GET") && strcmp(req->path, "/text") == 0)
        return text_answer(req, res, err);
    res->json = json_pack("{s:s, s:s, s:s, s:I}", "message", "Hello from c-debian-numa",
                          "method", req->method, "path", req->path,
                          "body_bytes", (json_int_t)req->body_len);
    if (!res->json)
        return cdn_err(err, ENOMEM, "rendering the echo"), 500;
    return 0;
}
