/* render.c: turns JSON values and error texts into the bytes of a response body. */
#include "internal.h"

#include <string.h>

char *cdn_render_json(const json_t *value, size_t *len)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY); /* a bare string or number too */
    if (text)
        *len = strlen(text);
    return text;
}

char *cdn_render_error(const char *text, size_t *len)
{
    /* Error texts may quote client input: keep printable ASCII only, so the text is valid UTF-8. */
    char clean[CDN_ERR_LEN * 2];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n + 1 < sizeof clean; p++)
        clean[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    clean[n] = '\0';
    json_t *obj = json_pack("{s:s}", "error", n ? clean : "unknown error");
    if (!obj)
        return NULL;
    char *out = cdn_render_json(obj, len);
    json_decref(obj);
    return out;
}
