/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 base encoder: libaom called directly, usage realtime, cpu-used 8,
 * lag 0, CBR with a short buffer (facet_base_buffer()), no frame dropping (every frame is a
 * packet of the latent stream), keyframes only at the start and on
 * request. The settings the training's ffmpeg runs use (usage realtime,
 * cpu-used 8, lag 0, row-mt, aq-mode 0) are kept, so the network sees the
 * same kind of pictures; the rate control is CBR where the training used
 * constant quality, as before.
 *
 * Units go out without their temporal delimiter: a latent packet holds
 * exactly one temporal unit, so the delimiter says nothing, and at these
 * rates its 2 bytes are 4-8 % of a frame (RTP drops it for the same reason,
 * and libdav1d decodes units with or without it).
 */
#include "codec/base_encoder.h"

#include <aom/aom_encoder.h>
#include <aom/aomcx.h>
#include <limits.h>
#include <stdlib.h>

typedef struct Av1Encoder {
    aom_codec_ctx_t codec;
    aom_codec_enc_cfg_t cfg;
    aom_image_t image;
    int initialised;
    int frames_coded;
} Av1Encoder;

static int av1_control(Av1Encoder *e, int id, int value, const FacetLogger *logger,
                       const char *what)
{
    if (aom_codec_control(&e->codec, id, value) == AOM_CODEC_OK)
        return 0;
    facet_log(logger, "libaom refused %s = %d: %s", what, value,
              aom_codec_error_detail(&e->codec) ? aom_codec_error_detail(&e->codec)
                                                : aom_codec_error(&e->codec));
    return FACET_ERR(EIO);
}

static void av1_close(void *impl)
{
    Av1Encoder *e = impl;
    if (!e)
        return;
    if (e->initialised)
        aom_codec_destroy(&e->codec);
    free(e);
}

static int av1_open(void **impl, const FacetBaseEncoderParams *p, const FacetLogger *logger)
{
    *impl = NULL;
    Av1Encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return FACET_ERR(ENOMEM);
    aom_codec_iface_t *iface = aom_codec_av1_cx();
    if (aom_codec_enc_config_default(iface, &e->cfg, AOM_USAGE_REALTIME) != AOM_CODEC_OK) {
        facet_log(logger, "libaom has no realtime AV1 encoder configuration");
        free(e);
        return FACET_ERR(ENOSYS);
    }
    aom_codec_enc_cfg_t *cfg = &e->cfg;
    cfg->g_w = (unsigned)p->width;
    cfg->g_h = (unsigned)p->height;
    cfg->g_timebase.num = p->fps_den;
    cfg->g_timebase.den = p->fps_num;
    cfg->g_threads = (unsigned)p->threads;
    cfg->g_lag_in_frames = 0;
    cfg->g_error_resilient = 0;
    cfg->g_pass = AOM_RC_ONE_PASS;
    cfg->rc_end_usage = AOM_CBR;
    cfg->rc_target_bitrate = (unsigned)p->kbps;
    /* Never drop: the latent stream has one unit per frame. */
    cfg->rc_dropframe_thresh = 0;
    cfg->rc_resize_mode = 0;
    cfg->rc_superres_mode = AOM_SUPERRES_NONE;
    cfg->rc_min_quantizer = 0;
    cfg->rc_max_quantizer = 63;
    FacetBaseBuffer buffer = facet_base_buffer(p);
    cfg->rc_buf_sz = buffer.size_ms;
    cfg->rc_buf_initial_sz = buffer.initial_ms;
    cfg->rc_buf_optimal_sz = buffer.optimal_ms;
    cfg->rc_undershoot_pct = 50;
    cfg->rc_overshoot_pct = 50;
    cfg->kf_mode = AOM_KF_DISABLED;
    cfg->kf_min_dist = 0;
    cfg->kf_max_dist = INT_MAX / 2;
    if (aom_codec_enc_init(&e->codec, iface, cfg, 0) != AOM_CODEC_OK) {
        facet_log(logger, "libaom refused the latent tier's AV1 settings (%dx%d, %d kbit/s): %s",
                  p->width, p->height, p->kbps, aom_codec_error(&e->codec));
        free(e);
        return FACET_ERR(ENOSYS);
    }
    e->initialised = 1;
    int ret = av1_control(e, AOME_SET_CPUUSED, 8, logger, "cpu-used");
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_ROW_MT, 1, logger, "row-mt");
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_AQ_MODE, 0, logger, "aq-mode");
    if (ret == 0)
        ret = av1_control(e, AOME_SET_MAX_INTRA_BITRATE_PCT, (int)buffer.first_keyframe_max_pct,
                          logger, "max intra bitrate");
    /* What the decoder's RGB conversion assumes: BT.601, limited range. */
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_COLOR_PRIMARIES, AOM_CICP_CP_BT_601, logger, "primaries");
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_TRANSFER_CHARACTERISTICS, AOM_CICP_TC_BT_601, logger,
                          "transfer");
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_MATRIX_COEFFICIENTS, AOM_CICP_MC_BT_601, logger,
                          "matrix");
    if (ret == 0)
        ret = av1_control(e, AV1E_SET_COLOR_RANGE, AOM_CR_STUDIO_RANGE, logger, "range");
    if (ret < 0) {
        av1_close(e);
        return ret;
    }
    *impl = e;
    return 0;
}

static int av1_set_rate(void *impl, int kbps, int min_quantizer)
{
    Av1Encoder *e = impl;
    e->cfg.rc_target_bitrate = (unsigned)kbps;
    e->cfg.rc_min_quantizer = (unsigned)min_quantizer;
    return aom_codec_enc_config_set(&e->codec, &e->cfg) == AOM_CODEC_OK ? 0 : FACET_ERR(EIO);
}

/* OBU header (AV1 5.3.1): type in bits 6..3, extension flag bit 2, size
 * field flag bit 1. */
#define OBU_TEMPORAL_DELIMITER 2

/* The bytes of a temporal delimiter OBU at the start of a unit, 0 if it
 * starts with another OBU. libaom writes it with a size field of 0. */
static size_t temporal_delimiter_size(const uint8_t *unit, size_t size)
{
    if (size < 2 || ((unit[0] >> 3) & 0xf) != OBU_TEMPORAL_DELIMITER || !(unit[0] & 0x02))
        return 0;
    size_t header = 1 + ((unit[0] & 0x04) ? 1 : 0);
    return header < size && unit[header] == 0 ? header + 1 : 0;
}

static int av1_encode(void *impl, const FacetPicture *i420, int64_t pts, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe)
{
    Av1Encoder *e = impl;
    *data = NULL;
    *size = 0;
    *is_keyframe = 0;
    /* After the first keyframe, keyframes are loss repair: small; and the
     * next config_set (a new target) must not hand the large initial
     * level over again. */
    if (e->frames_coded++ == 1) {
        e->cfg.rc_buf_initial_sz = FACET_BASE_INITIAL_MS;
        if (aom_codec_control(&e->codec, AOME_SET_MAX_INTRA_BITRATE_PCT,
                              FACET_BASE_KEYFRAME_MAX_PCT) != AOM_CODEC_OK)
            return FACET_ERR(EIO);
    }
    /* The picture is described, not copied: libaom reads it in the call. */
    if (!aom_img_wrap(&e->image, AOM_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, i420->data[0]))
        return FACET_ERR(EIO);
    for (int p = 0; p < 3; p++) {
        e->image.planes[p] = i420->data[p];
        e->image.stride[p] = (int)i420->stride[p];
    }
    e->image.range = AOM_CR_STUDIO_RANGE;
    aom_enc_frame_flags_t flags = keyframe ? AOM_EFLAG_FORCE_KF : 0;
    if (aom_codec_encode(&e->codec, &e->image, pts, 1, flags) != AOM_CODEC_OK)
        return FACET_ERR(EIO);
    /* lag 0: the whole temporal unit comes out of this call. */
    aom_codec_iter_t iter = NULL;
    const aom_codec_cx_pkt_t *pkt;
    while ((pkt = aom_codec_get_cx_data(&e->codec, &iter))) {
        if (pkt->kind != AOM_CODEC_CX_FRAME_PKT)
            continue;
        const uint8_t *buf = pkt->data.frame.buf;
        size_t skip = *size == 0 ? temporal_delimiter_size(buf, pkt->data.frame.sz) : 0;
        int ret = facet_base_unit_append(data, size, buf + skip, pkt->data.frame.sz - skip);
        if (ret < 0)
            return ret;
        *is_keyframe |= (pkt->data.frame.flags & AOM_FRAME_IS_KEY) != 0;
    }
    return *size ? 0 : FACET_ERR(EIO);
}

const FacetBaseEncoderOps facet_base_encoder_av1 = {
    .name = "libaom AV1",
    .open = av1_open,
    .set_rate = av1_set_rate,
    .encode = av1_encode,
    .close = av1_close,
};
