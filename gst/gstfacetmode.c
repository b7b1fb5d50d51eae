/* SPDX-License-Identifier: BSD-2-Clause */
/* GEnum registrations of gstfacetmode.h. */
#include "gstfacetmode.h"

GType gst_facet_enc_mode_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { GST_FACET_ENC_MODE_AUTO,
          "latent when a latent model is found ($FACET_LATENT_MODEL or the installed one) "
          "and the picture is 32..4096 a side, else keypoint", "auto" },
        { GST_FACET_ENC_MODE_KEYPOINT,
          "Keypoint tier: intra keyframes plus keypoints (intra-only without a model)",
          "keypoint" },
        { GST_FACET_ENC_MODE_LATENT,
          "Latent tier: a low-resolution AV1 stream at bitrate plus rare references",
          "latent" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstFacetEncMode", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

GType gst_facet_scale_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { GST_FACET_SCALE_AUTO, "From the bitrate and the picture size", "auto" },
        { GST_FACET_SCALE_2, "Half the side", "2" },
        { GST_FACET_SCALE_4, "A quarter of the side", "4" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstFacetScale", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

GType gst_facet_references_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { GST_FACET_REFERENCES_AUTO, "Where they pay for their bits (nowhere measured yet)",
          "auto" },
        { GST_FACET_REFERENCES_ON, "At the start, on request, on drift and every 30 s", "on" },
        { GST_FACET_REFERENCES_OFF, "None: the network upsamples without one", "off" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstFacetReferences", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

GType gst_facet_stream_mode_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { GST_FACET_STREAM_MODE_NONE, "No keyframe decoded yet", "none" },
        { GST_FACET_STREAM_MODE_INTRA_ONLY, "Intra-only: every frame a keyframe", "intra-only" },
        { GST_FACET_STREAM_MODE_KEYPOINT, "Keypoint tier", "keypoint" },
        { GST_FACET_STREAM_MODE_LATENT, "Latent tier", "latent" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstFacetStreamMode", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

const gchar *gst_facet_stream_mode_to_string(FacetStreamMode mode)
{
    switch (mode) {
    case FACET_STREAM_MODE_INTRA_ONLY:
        return "intra-only";
    case FACET_STREAM_MODE_KEYPOINTS:
        return "keypoint";
    case FACET_STREAM_MODE_LATENT:
        return "latent";
    }
    return NULL;
}
