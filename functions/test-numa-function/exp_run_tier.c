/* exp_run_tier.c: the tiered-memory steps of a run, after the touch and the placement and before
 * the release: migrate_to, then measure (over the pages where they now are), then the hold with
 * resample_ms. */
#include "exp.h"

#include <stdlib.h>

int exp_run_tier(const struct exp_plan *plan, const struct exp_chunks *chunks,
                 struct exp_result *res, char err[CDN_ERR_LEN])
{
    const struct exp_tier_params *t = &plan->params.tier;
    if (t->migrate_to < 0 && !t->measure && t->resample_ms == 0)
        return 0;
    size_t n = 0;
    struct cdn_place_range *ranges = exp_chunks_ranges(chunks, &n, err);
    if (!ranges)
        return 500;
    int rc = 0;
    if (t->migrate_to >= 0)
        rc = exp_migrate(ranges, n, t->migrate_to, res->placement.per_node[t->migrate_to],
                         &res->migration, err);
    if (rc == 0 && t->measure &&
        exp_measure_ranges(ranges, n, t->measure, plan->llc_bytes, &res->measure, err) != 0)
        rc = 500;
    if (rc == 0 && t->resample_ms > 0 &&
        exp_resample_hold(ranges, n, plan->params.hold_ms, t->resample_ms, &res->resample, err) != 0)
        rc = 500;
    free(ranges);
    return rc;
}
