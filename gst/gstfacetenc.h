/* SPDX-License-Identifier: BSD-2-Clause */
/* facetenc: GstVideoEncoder over libfacet's encoder. */
#ifndef GST_FACET_ENC_H
#define GST_FACET_ENC_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideoencoder.h>

G_BEGIN_DECLS

#define GST_TYPE_FACET_ENC (gst_facet_enc_get_type())
G_DECLARE_FINAL_TYPE(GstFacetEnc, gst_facet_enc, GST, FACET_ENC, GstVideoEncoder)

GST_ELEMENT_REGISTER_DECLARE(facetenc);

G_END_DECLS

#endif /* GST_FACET_ENC_H */
