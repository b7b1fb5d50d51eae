/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VP8 base encoder: libvpx called directly, deadline realtime,
 * cpu-used 8, lag 0 (the training's ffmpeg -deadline realtime -cpu-used 8
 * runs), CBR with a one-second buffer, no frame dropping, keyframes only at
 * the start and on request. Every WebRTC endpoint and SFU carries VP8.
 */
#include "codec/base_encoder.h"

#include <limits.h>
#include <stdlib.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

typedef struct Vp8Encoder {
    vpx_codec_ctx_t codec;
    vpx_codec_enc_cfg_t cfg;
    vpx_image_t image;
    int initialised;
    int frames_coded;
} Vp8Encoder;

static void vp8_close(void *impl)
{
    Vp8Encoder *e = impl;
    if (!e)
        return;
    if (e->initialised)
        vpx_codec_destroy(&e->codec);
    free(e);
}

static int vp8_open(void **impl, const FacetBaseEncoderParams *p, const FacetLogger *logger)
{
    *impl = NULL;
    Vp8Encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return FACET_ERR(ENOMEM);
    vpx_codec_iface_t *iface = vpx_codec_vp8_cx();
    if (vpx_codec_enc_config_default(iface, &e->cfg, 0) != VPX_CODEC_OK) {
        facet_log(logger, "libvpx has no VP8 encoder configuration");
        free(e);
        return FACET_ERR(ENOSYS);
    }
    vpx_codec_enc_cfg_t *cfg = &e->cfg;
    cfg->g_w = (unsigned)p->width;
    cfg->g_h = (unsigned)p->height;
    cfg->g_timebase.num = p->fps_den;
    cfg->g_timebase.den = p->fps_num;
    cfg->g_threads = (unsigned)p->threads;
    cfg->g_lag_in_frames = 0;
    cfg->g_error_resilient = 0;
    cfg->g_pass = VPX_RC_ONE_PASS;
    cfg->rc_end_usage = VPX_CBR;
    cfg->rc_target_bitrate = (unsigned)p->kbps;
    /* Never drop: the latent stream has one unit per frame. */
    cfg->rc_dropframe_thresh = 0;
    cfg->rc_resize_allowed = 0;
    cfg->rc_min_quantizer = 0;
    cfg->rc_max_quantizer = 63;
    /* As for AV1 (base_encoder_av1.c): a short buffer, no burst. */
    FacetBaseBuffer buffer = facet_base_buffer(p);
    cfg->rc_buf_sz = buffer.size_ms;
    cfg->rc_buf_initial_sz = buffer.initial_ms;
    cfg->rc_buf_optimal_sz = buffer.optimal_ms;
    cfg->rc_undershoot_pct = 50;
    cfg->rc_overshoot_pct = 50;
    cfg->kf_mode = VPX_KF_DISABLED;
    cfg->kf_min_dist = 0;
    cfg->kf_max_dist = INT_MAX / 2;
    if (vpx_codec_enc_init(&e->codec, iface, cfg, 0) != VPX_CODEC_OK) {
        facet_log(logger, "libvpx refused the latent tier's VP8 settings (%dx%d, %d kbit/s): %s",
                  p->width, p->height, p->kbps, vpx_codec_error(&e->codec));
        free(e);
        return FACET_ERR(ENOSYS);
    }
    e->initialised = 1;
    if (vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, 8) != VPX_CODEC_OK ||
        vpx_codec_control(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
                          (int)buffer.first_keyframe_max_pct) != VPX_CODEC_OK) {
        facet_log(logger, "libvpx refused cpu-used 8 or a keyframe cap: %s",
                  vpx_codec_error(&e->codec));
        vp8_close(e);
        return FACET_ERR(EIO);
    }
    *impl = e;
    return 0;
}

static int vp8_set_rate(void *impl, int kbps, int min_quantizer)
{
    Vp8Encoder *e = impl;
    e->cfg.rc_target_bitrate = (unsigned)kbps;
    e->cfg.rc_min_quantizer = (unsigned)min_quantizer;
    return vpx_codec_enc_config_set(&e->codec, &e->cfg) == VPX_CODEC_OK ? 0 : FACET_ERR(EIO);
}

static int vp8_encode(void *impl, const FacetPicture *i420, int64_t pts, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe)
{
    Vp8Encoder *e = impl;
    *data = NULL;
    *size = 0;
    *is_keyframe = 0;
    /* As for AV1 (base_encoder_av1.c). */
    if (e->frames_coded++ == 1) {
        e->cfg.rc_buf_initial_sz = FACET_BASE_INITIAL_MS;
        if (vpx_codec_control(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
                              FACET_BASE_KEYFRAME_MAX_PCT) != VPX_CODEC_OK)
            return FACET_ERR(EIO);
    }
    if (!vpx_img_wrap(&e->image, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, i420->data[0]))
        return FACET_ERR(EIO);
    for (int p = 0; p < 3; p++) {
        e->image.planes[p] = i420->data[p];
        e->image.stride[p] = (int)i420->stride[p];
    }
    vpx_enc_frame_flags_t flags = keyframe ? VPX_EFLAG_FORCE_KF : 0;
    if (vpx_codec_encode(&e->codec, &e->image, pts, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK)
        return FACET_ERR(EIO);
    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    while ((pkt = vpx_codec_get_cx_data(&e->codec, &iter))) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
            continue;
        int ret = facet_base_unit_append(data, size, pkt->data.frame.buf, pkt->data.frame.sz);
        if (ret < 0)
            return ret;
        *is_keyframe |= (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    return *size ? 0 : FACET_ERR(EIO);
}

const FacetBaseEncoderOps facet_base_encoder_vp8 = {
    .name = "libvpx VP8",
    .open = vp8_open,
    .set_rate = vp8_set_rate,
    .encode = vp8_encode,
    .close = vp8_close,
};
