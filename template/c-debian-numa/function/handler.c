/* handler.c: the function. `faas-cli new --lang c-debian-numa NAME` copies this folder to
 * ./NAME/; edit it, and read ../handler.h (the only header you need).
 *
 * This sample echoes what it received and, on /numa, shows where it runs and which memory
 * policy it runs under (set by `numactl --membind N` in fprocess). */
#include "handler.h"

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

static int numa_answer(struct fn_response *res, char err[CDN_ERR_LEN])
{
    struct proc_policy pol;
    if (policy_read("/proc/self/status", &pol, err) != 0)
        return 503;
    res->json = policy_to_json(&pol);
    return res->json ? 0 : (cdn_err(err, 0, "out of memory"), 500);
}

int fn_handle(void *state, const struct fn_request *req, struct fn_response *res,
              char err[CDN_ERR_LEN])
{
    (void)state;
    if (strcmp(req->path, "/numa") == 0)
        return numa_answer(res, err);
    res->json = json_pack("{s:s, s:s, s:s, s:I}", "message", "Hello from c-debian-numa",
                          "method", req->method, "path", req->path,
                          "body_bytes", (json_int_t)req->body_len);
    if (!res->json) {
        cdn_err(err, 0, "out of memory");
        return 500;
    }
    return 0;
}
