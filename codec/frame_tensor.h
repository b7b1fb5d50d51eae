/*
 * Pictures in and out of the network: the network sees RGB in [0, 1] at its
 * model size S x S; the stream carries I420 at any size. Both directions
 * scale the whole picture (no crop), so encoder and decoder agree on the
 * mapping whatever the aspect ratio.
 */
#ifndef FACET_CODEC_FRAME_TENSOR_H
#define FACET_CODEC_FRAME_TENSOR_H

#include "facet/facet.h"
#include "render/tensor.h"

struct SwsContext;

typedef struct FacetFrameTensorConverter {
    struct SwsContext *to_tensor;   /* I420 W x H -> RGB24 S x S */
    struct SwsContext *to_frame;    /* RGB24 S x S -> I420 W x H */
    FacetPicture rgb;               /* packed RGB24 staging picture at S x S */
} FacetFrameTensorConverter;

/* Fills `tensor` (allocated 3 x S x S) from an I420 picture of any size.
 * Returns 0, -EINVAL or -ENOMEM. */
int facet_frame_to_tensor(FacetFrameTensorConverter *conv, const FacetPicture *i420,
                          FacetTensor *tensor);

/* Fills `i420` (allocated at the stream's size) from a 3 x S x S tensor in
 * [0, 1]; values outside are clamped. Returns 0, -EINVAL or -ENOMEM. */
int facet_tensor_to_frame(FacetFrameTensorConverter *conv, const FacetTensor *tensor,
                          FacetPicture *i420);

void facet_frame_tensor_converter_free(FacetFrameTensorConverter *conv);

#endif /* FACET_CODEC_FRAME_TENSOR_H */
