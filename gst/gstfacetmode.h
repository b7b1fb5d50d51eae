/* SPDX-License-Identifier: BSD-2-Clause */
/* The tiers and scales of a Facet stream as GEnums, shared by facetenc
 * (its mode, scale and references properties), facetdec (its read-only mode) and the
 * caps' mode field, so that gst-launch and gst-inspect know their names. */
#ifndef GST_FACET_MODE_H
#define GST_FACET_MODE_H

#include <glib-object.h>

#include <facet/facet.h>

G_BEGIN_DECLS

/* facetenc's mode. The values of the two tiers are libfacet's
 * FacetStreamMode, so that they convert by a cast. */
typedef enum {
    GST_FACET_ENC_MODE_AUTO = 0,
    GST_FACET_ENC_MODE_KEYPOINT = FACET_STREAM_MODE_KEYPOINTS,
    GST_FACET_ENC_MODE_LATENT = FACET_STREAM_MODE_LATENT,
} GstFacetEncMode;

#define GST_TYPE_FACET_ENC_MODE (gst_facet_enc_mode_get_type())
GType gst_facet_enc_mode_get_type(void);

/* facetenc's scale: the values are FacetEncoderSettings.scale. */
typedef enum {
    GST_FACET_SCALE_AUTO = 0,
    GST_FACET_SCALE_2 = 2,
    GST_FACET_SCALE_4 = 4,
} GstFacetScale;

#define GST_TYPE_FACET_SCALE (gst_facet_scale_get_type())
GType gst_facet_scale_get_type(void);

/* facetenc's references: the values are FacetLatentReferences. */
typedef enum {
    GST_FACET_REFERENCES_AUTO = FACET_LATENT_REFERENCES_AUTO,
    GST_FACET_REFERENCES_ON = FACET_LATENT_REFERENCES_ON,
    GST_FACET_REFERENCES_OFF = FACET_LATENT_REFERENCES_OFF,
} GstFacetReferences;

#define GST_TYPE_FACET_REFERENCES (gst_facet_references_get_type())
GType gst_facet_references_get_type(void);

/* What a stream is, as facetdec reports it: the values of FacetStreamMode,
 * and NONE before the first keyframe decoded. */
typedef enum {
    GST_FACET_STREAM_MODE_INTRA_ONLY = FACET_STREAM_MODE_INTRA_ONLY,
    GST_FACET_STREAM_MODE_KEYPOINT = FACET_STREAM_MODE_KEYPOINTS,
    GST_FACET_STREAM_MODE_LATENT = FACET_STREAM_MODE_LATENT,
    GST_FACET_STREAM_MODE_NONE = 100,
} GstFacetStreamMode;

#define GST_TYPE_FACET_STREAM_MODE (gst_facet_stream_mode_get_type())
GType gst_facet_stream_mode_get_type(void);

/* The value of the caps field `mode` (and the SDP parameter) for a
 * stream mode: "intra-only", "keypoint" or "latent"; NULL for others. */
const gchar *gst_facet_stream_mode_to_string(FacetStreamMode mode);

G_END_DECLS

#endif /* GST_FACET_MODE_H */
