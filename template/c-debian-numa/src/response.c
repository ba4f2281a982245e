/* response.c: what the runtime answers for one fn_handle() call: the status, the body bytes and
 * the content type, from the handler's return code, its fn_response and its error text. Pure: no
 * I/O, so every branch is unit-tested (tests/test_runtime.c). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int cdn_resp_error(struct cdn_resp_out *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "application/json";
    out->body = cdn_render_error(text, &out->len);
    return out->body ? 0 : -1;
}

static void cdn_resp_drop(struct fn_response *res)
{
    json_decref(res->json);
    free(res->text);
    res->json = NULL;
    res->text = NULL;
}

int cdn_resp_build(int rc, struct fn_response *res, const char *err, struct cdn_resp_out *out)
{
    memset(out, 0, sizeof *out);
    if (rc != 0) {
        cdn_resp_drop(res);
        return cdn_resp_error(out, rc >= 400 && rc <= 599 ? rc : 500, err && err[0] ? err : "handler failed");
    }
    int status = res->status >= 100 && res->status <= 599 ? res->status : 200;
    if (res->status != 0 && status != res->status) {
        cdn_resp_drop(res);
        return cdn_resp_error(out, 500, "the handler answered an invalid HTTP status");
    }
    if (res->json) {
        char *text = cdn_render_json(res->json, &out->len);
        const char *type = res->content_type ? res->content_type : "application/json";
        cdn_resp_drop(res);
        if (!text)
            return cdn_resp_error(out, 500, "rendering the answer failed");
        out->status = status;
        out->body = text;
        out->content_type = type;
        return 0;
    }
    out->body = res->text ? res->text : strdup("");
    if (!out->body)
        return cdn_resp_error(out, 500, "out of memory");
    out->len = res->text ? res->text_len : 0;
    res->text = NULL;
    out->status = status;
    out->content_type = res->content_type ? res->content_type : "text/plain";
    return 0;
}
