/* probe.c: body-probe's pure part: hashes a request body and renders the answer. No I/O. */
#include "probe.h"

#include <stdio.h>

uint64_t probe_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

json_t *probe_answer(const struct fn_request *req, const struct cdn_proc_policy *pol)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)probe_fnv1a64(req->body, req->body_len));
    return json_pack("{s:I, s:s, s:s?, s:s?, s:o}", "body_bytes", (json_int_t)req->body_len,
                     "body_fnv1a64", hex, "transfer_encoding", fn_header(req, "Transfer-Encoding"),
                     "content_length", fn_header(req, "Content-Length"),
                     "process", cdn_policy_to_json(pol));
}
