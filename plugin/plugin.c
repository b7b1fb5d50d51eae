/* The facet plugin (libgstfacet.so): registers facetenc, facetdec,
 * rtpfacetpay and rtpfacetdepay. */
#include <gst/gst.h>

#include "gst/gstfacetdec.h"
#include "gst/gstfacetenc.h"
#include "gst/gstrtpfacetdepay.h"
#include "gst/gstrtpfacetpay.h"

#ifndef PACKAGE
#define PACKAGE "facet"
#endif

static gboolean plugin_init(GstPlugin *plugin)
{
    gboolean ret = FALSE;

    ret |= GST_ELEMENT_REGISTER(facetenc, plugin);
    ret |= GST_ELEMENT_REGISTER(facetdec, plugin);
    ret |= GST_ELEMENT_REGISTER(rtpfacetpay, plugin);
    ret |= GST_ELEMENT_REGISTER(rtpfacetdepay, plugin);
    return ret;
}

/* GStreamer loads only plugins whose license string it knows; the build
 * passes it in (FACET_GST_LICENSE in gst/CMakeLists.txt). */
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, facet,
                  "Facet neural video codec for video calls", plugin_init,
                  FACET_VERSION_STRING, FACET_GST_LICENSE, "facet", "Facet")
