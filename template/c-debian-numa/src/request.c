/* request.c: lookups a handler makes on its request: headers, query arguments, method. */
#include "handler.h"

#include <string.h>
#include <strings.h>

const char *fn_header(const struct fn_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].key, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *fn_query(const struct fn_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

int fn_is_method(const struct fn_request *req, const char *method)
{
    return strcmp(req->method, method) == 0;
}
