/* SPDX-License-Identifier: BSD-2-Clause */
/* Picks the kernels of the op table; see ops.h. */
#include "render/ops.h"

#include <stddef.h>

void facet_render_ops_init(FacetRenderOps *ops, int flags)
{
    if (!ops)
        return;
    facet_render_ops_init_c(ops);
    if (flags & FACET_RENDER_OPS_FORCE_C)
        return;
    facet_render_ops_init_avx2(ops);
}

const char *facet_render_ops_isa(void)
{
    FacetRenderOps ops;
    return facet_render_ops_init_avx2(&ops) ? "avx2" : "c";
}
