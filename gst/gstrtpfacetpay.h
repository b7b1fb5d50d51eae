/* SPDX-License-Identifier: BSD-2-Clause */
/* rtpfacetpay: Facet frames into RTP packets (docs/rtp-payload.md). */
#ifndef GST_RTP_FACET_PAY_H
#define GST_RTP_FACET_PAY_H

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define GST_TYPE_RTP_FACET_PAY (gst_rtp_facet_pay_get_type())
G_DECLARE_FINAL_TYPE(GstRtpFacetPay, gst_rtp_facet_pay, GST, RTP_FACET_PAY, GstRTPBasePayload)

GST_ELEMENT_REGISTER_DECLARE(rtpfacetpay);

G_END_DECLS

#endif /* GST_RTP_FACET_PAY_H */
