/* probe.h: body-probe's own API: the hash of a request body and the JSON answer built from it. */
#ifndef BODY_PROBE_PROBE_H
#define BODY_PROBE_PROBE_H

#include "handler.h"

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a of len bytes (the offset basis for len 0). */
uint64_t probe_fnv1a64(const void *data, size_t len);

/* {"body_bytes": n, "body_fnv1a64": "16 hex digits", "transfer_encoding": text or null,
 *  "content_length": text or null, "process": cdn_policy_to_json(pol)}; NULL on ENOMEM. */
json_t *probe_answer(const struct fn_request *req, const struct cdn_proc_policy *pol);

#endif /* BODY_PROBE_PROBE_H */
