/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pictures into the network: the network sees RGB in [0, 1] at its model
 * size S x S; the stream carries I420 at any size. The whole picture is
 * scaled (no crop), and the network's last step scales its output back the
 * same way (render/picture_out.h), so encoder and decoder agree on the
 * mapping whatever the aspect ratio.
 */
#ifndef FACET_CODEC_FRAME_TENSOR_H
#define FACET_CODEC_FRAME_TENSOR_H

#include "facet/facet.h"
#include "render/tensor.h"

struct SwsContext;

typedef struct FacetFrameTensorConverter {
    struct SwsContext *to_tensor;   /* I420 W x H -> RGB24 S x S */
    FacetPicture rgb;               /* packed RGB24 staging picture at S x S */
} FacetFrameTensorConverter;

/* Fills `tensor` (allocated 3 x S x S) from an I420 picture of any size.
 * Returns 0, -EINVAL or -ENOMEM. */
int facet_frame_to_tensor(FacetFrameTensorConverter *conv, const FacetPicture *i420,
                          FacetTensor *tensor);

void facet_frame_tensor_converter_free(FacetFrameTensorConverter *conv);

#endif /* FACET_CODEC_FRAME_TENSOR_H */
