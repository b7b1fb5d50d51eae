/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's work size, which the encoder and the decoder must agree
 * on (docs/bitstream.md, "Latent tier"): the network needs sides that are
 * multiples of 32, so a picture of any other size is padded at its right
 * and bottom edges, by repeating its last column and row, up to the next
 * multiple, and the decoder crops the rendered picture back. Padding rather
 * than scaling keeps every pixel of the picture where it was: no resampling
 * on either side, and AV1 codes the repeated edge almost for free.
 */
#include <errno.h>
#include <string.h>

#include "codec/latent.h"

int facet_latent_work_side(int side)
{
    int work = (side + 31) / 32 * 32;
    return work < 32 ? 32 : work;
}

/* One plane of w x h into dst_w x dst_h, the last column and row
 * repeated. */
static void pad_plane(const uint8_t *src, ptrdiff_t src_stride, int w, int h, uint8_t *dst,
                      ptrdiff_t dst_stride, int dst_w, int dst_h)
{
    for (int y = 0; y < dst_h; y++) {
        uint8_t *row = dst + (ptrdiff_t)y * dst_stride;
        const uint8_t *from = src + (ptrdiff_t)(y < h ? y : h - 1) * src_stride;
        memcpy(row, from, (size_t)w);
        memset(row + w, from[w - 1], (size_t)(dst_w - w));
    }
}

int facet_latent_pad_to_work(const FacetPicture *i420, FacetPicture *work)
{
    if (!i420 || !work || i420->format != FACET_PIXEL_FORMAT_I420 ||
        work->format != FACET_PIXEL_FORMAT_I420 || i420->width < 1 || i420->height < 1 ||
        i420->width > work->width || i420->height > work->height)
        return FACET_ERR(EINVAL);
    for (int p = 0; p < 3; p++) {
        int shift = p ? 1 : 0;
        pad_plane(i420->data[p], i420->stride[p], (i420->width + shift) >> shift,
                  (i420->height + shift) >> shift, work->data[p], work->stride[p],
                  (work->width + shift) >> shift, (work->height + shift) >> shift);
    }
    return 0;
}
