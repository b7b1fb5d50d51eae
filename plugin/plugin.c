/* SPDX-License-Identifier: BSD-2-Clause */
/* The facet plugin (libgstfacet.so): registers facetenc, facetdec,
 * rtpfacetpay, rtpfacetdepay and a typefinder for .fct files. */
#include <errno.h>

#include <gst/gst.h>

#include "container/fct.h"
#include "gst/gstfacetcaps.h"
#include "gst/gstfacetdec.h"
#include "gst/gstfacetenc.h"
#include "gst/gstrtpfacetdepay.h"
#include "gst/gstrtpfacetpay.h"

#ifndef PACKAGE
#define PACKAGE "facet"
#endif

static GstStaticCaps fct_caps =
    GST_STATIC_CAPS("video/x-facet, stream-format = (string) " FACET_STREAM_FORMAT_FCT);

/* A .fct file starts with "FACETFCT" and its version byte. Another version
 * is still reported (less surely), so that facetdec, not "could not
 * determine type", tells the user what is wrong with the file. */
static void fct_type_find(GstTypeFind *find, gpointer user_data)
{
    const guint8 *data = gst_type_find_peek(find, 0, FCT_FILE_HEADER_ID_SIZE);
    int ret;

    (void)user_data;
    if (!data)
        return;
    ret = fct_file_header_parse(data, FCT_FILE_HEADER_ID_SIZE, NULL);
    if (ret == 0 || ret == -ENOTSUP)
        gst_type_find_suggest(find, ret == 0 ? GST_TYPE_FIND_MAXIMUM : GST_TYPE_FIND_LIKELY,
                              gst_static_caps_get(&fct_caps));
}

static gboolean plugin_init(GstPlugin *plugin)
{
    gboolean ret = FALSE;

    ret |= GST_ELEMENT_REGISTER(facetenc, plugin);
    ret |= GST_ELEMENT_REGISTER(facetdec, plugin);
    ret |= GST_ELEMENT_REGISTER(rtpfacetpay, plugin);
    ret |= GST_ELEMENT_REGISTER(rtpfacetdepay, plugin);
    /* Secondary: the magic is long and specific, but a file extension
     * alone should not beat the stock typefinders. */
    ret |= gst_type_find_register(plugin, "video/x-facet-fct", GST_RANK_SECONDARY, fct_type_find,
                                  "fct", gst_static_caps_get(&fct_caps), NULL, NULL);
    return ret;
}

/* The code's licence (LICENSE: BSD-2-Clause), in GStreamer's words: it
 * loads only plugins whose licence string it knows, and "BSD" is one. */
#define FACET_GST_LICENSE "BSD"

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, facet,
                  "Facet neural video codec for video calls", plugin_init,
                  FACET_VERSION_STRING, FACET_GST_LICENSE, "facet", "Facet")
