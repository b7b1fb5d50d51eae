/* SPDX-License-Identifier: BSD-2-Clause */
/* facetdec: GstVideoDecoder over libfacet's decoder. */
#ifndef GST_FACET_DEC_H
#define GST_FACET_DEC_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideodecoder.h>

G_BEGIN_DECLS

#define GST_TYPE_FACET_DEC (gst_facet_dec_get_type())
G_DECLARE_FINAL_TYPE(GstFacetDec, gst_facet_dec, GST, FACET_DEC, GstVideoDecoder)

GST_ELEMENT_REGISTER_DECLARE(facetdec);

G_END_DECLS

#endif /* GST_FACET_DEC_H */
