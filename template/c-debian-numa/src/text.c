/* text.c: a /proc file read whole into memory, so that several parsers share one read of it (the
 * kernel builds numa_maps by walking the page tables: reading it costs in proportion to the
 * memory mapped, parsing it does not). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX ((size_t)1 << 30)

int cdn_text_read(const char *path, struct cdn_text *t, char err[CDN_ERR_LEN])
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", path);
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        if (t->len + 1 >= cap) {
            char *grown = cap * 2 <= TEXT_MAX ? realloc(t->buf, cap ? cap * 2 : 65536) : NULL;
            if (!grown) {
                rc = cdn_err(err, cap * 2 <= TEXT_MAX ? ENOMEM : EFBIG, "read %s", path);
                break;
            }
            t->buf = grown;
            cap = cap ? cap * 2 : 65536;
        }
        size_t got = fread(t->buf + t->len, 1, cap - 1 - t->len, f);
        t->len += got;
        if (got == 0) {
            if (ferror(f))
                rc = cdn_err(err, EIO, "read %s", path);
            break;
        }
    }
    fclose(f);
    if (rc != 0)
        cdn_text_free(t);
    else
        t->buf[t->len] = '\0';
    return rc;
}

FILE *cdn_text_open(const struct cdn_text *t, char err[CDN_ERR_LEN])
{
    /* one byte past the text is always there (the NUL), so an empty text opens too */
    FILE *f = t->buf ? fmemopen(t->buf, t->len ? t->len : 1, "r") : NULL;
    if (!f)
        cdn_err(err, t->buf ? errno : EINVAL, "open a text in memory");
    return f;
}

void cdn_text_free(struct cdn_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}
