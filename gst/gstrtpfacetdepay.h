/* SPDX-License-Identifier: BSD-2-Clause */
/* rtpfacetdepay: RTP packets back into whole Facet frames
 * (docs/rtp-payload.md). */
#ifndef GST_RTP_FACET_DEPAY_H
#define GST_RTP_FACET_DEPAY_H

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define GST_TYPE_RTP_FACET_DEPAY (gst_rtp_facet_depay_get_type())
G_DECLARE_FINAL_TYPE(GstRtpFacetDepay, gst_rtp_facet_depay, GST, RTP_FACET_DEPAY,
                     GstRTPBaseDepayload)

GST_ELEMENT_REGISTER_DECLARE(rtpfacetdepay);

G_END_DECLS

#endif /* GST_RTP_FACET_DEPAY_H */
