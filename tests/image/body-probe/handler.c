/* handler.c (body-probe): a function made with `faas-cli new --lang c-debian-numa`. A POST gets
 * back the size and FNV-1a hash of the body the function received, how it was framed, and the
 * memory policy the function runs under, read back with the NUMA toolkit (cdn_policy_read). Each
 * request also writes one line on stdout. Any other method: 405. */
#include "handler.h"
#include "probe.h"

#include <stdio.h>

/* No state; the runtime wants a non-NULL pointer all the same. */
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

int fn_handle(void *state, const struct fn_request *req, struct fn_response *res,
              char err[CDN_ERR_LEN])
{
    (void)state;
    if (!fn_is_method(req, "POST")) {
        cdn_err(err, 0, "%s: only POST is served", req->method);
        return 405;
    }
    struct cdn_proc_policy pol;
    if (cdn_policy_read("/proc/self/status", &pol, err) != 0)
        return 503;
    res->json = probe_answer(req, &pol);
    if (!res->json) {
        cdn_err(err, 0, "out of memory");
        return 500;
    }
    printf("body-probe: %zu bytes fnv1a64=%s policy=%s\n", req->body_len,
           json_string_value(json_object_get(res->json, "body_fnv1a64")), pol.mode_name);
    return 0;
}
