/* SPDX-License-Identifier: BSD-2-Clause */
/* Facet through libfacet's public API; see facet_run.h. */
#include "facet_run.h"

#include "frame_delivery.h"
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Every run opens a new encoder and decoder, so the library says the same
 * things (which renderer it uses) again and again: print each message
 * once in a row. */
static void log_message(void *opaque, const char *message)
{
    (void)opaque;
    static char last[512];
    if (strncmp(message, last, sizeof(last) - 1) == 0)
        return;
    snprintf(last, sizeof(last), "%s", message);
    progress_break();
    fprintf(stderr, "libfacet: %s\n", message);
}

int facet_run(const SourceClip *clip, const RunConfig *config, const FacetModels *models,
              int threads, RunResult *result, DecodedFrameFn sink, void *opaque)
{
    const int latent = config->facet_mode == FACET_MODE_LATENT;
    snprintf(result->encoder, sizeof(result->encoder), "libfacet");
    FacetEncoderSettings encoder_settings;
    facet_encoder_default_settings(&encoder_settings);
    encoder_settings.width = clip->size;
    encoder_settings.height = clip->size;
    encoder_settings.fps_num = clip->fps;
    encoder_settings.fps_den = 1;
    encoder_settings.threads = threads;
    encoder_settings.log_callback = log_message;
    FacetDecoderSettings decoder_settings;
    facet_decoder_default_settings(&decoder_settings);
    decoder_settings.threads = threads;
    if (latent) {
        /* The rate asked for; the scale as planned (coded_size = S / r). */
        int scale = config->coded_size > 0 ? clip->size / config->coded_size : 0;
        snprintf(result->setting, sizeof(result->setting), "target %g kbit/s; r = %d",
                 config->target_kbps, scale);
        encoder_settings.mode = FACET_STREAM_MODE_LATENT;
        encoder_settings.bitrate = (int)(config->target_kbps * 1000.0 + 0.5);
        encoder_settings.scale = scale;
        encoder_settings.latent_model_path = models->latent;
        decoder_settings.latent_model_path = models->latent;
    } else {
        snprintf(result->setting, sizeof(result->setting), "keyframe every %g s; quality %d",
                 config->keyframe_interval, config->keyframe_quality);
        encoder_settings.keyframe_interval = config->keyframe_interval;
        encoder_settings.keyframe_quality = config->keyframe_quality;
        encoder_settings.model_path = models->keypoints;
        decoder_settings.model_path = models->keypoints;
    }
    decoder_settings.log_callback = log_message;

    FacetEncoder *encoder = NULL;
    FacetDecoder *decoder = NULL;
    FrameDelivery delivery;
    frame_delivery_init(&delivery, sink, opaque, clip->count);
    int ret = -1, err = facet_encoder_open(&encoder, &encoder_settings);
    if (err < 0) {
        progress_break();
        fprintf(stderr, "Facet encoder: %s\n", facet_strerror(err));
        goto done;
    }
    err = facet_decoder_open(&decoder, &decoder_settings);
    if (err < 0) {
        progress_break();
        fprintf(stderr, "Facet decoder: %s\n", facet_strerror(err));
        goto done;
    }
    for (int i = 0; i < clip->count; i++) {
        double start = now_ms();
        err = facet_encoder_send_frame(encoder, &clip->frames[i]);
        result->encode_ms += now_ms() - start;
        if (err < 0) {
            progress_break();
            fprintf(stderr, "Facet encoder, frame %d: %s\n", i, facet_strerror(err));
            goto done;
        }
        /* One packet a frame; in the latent tier the frame's, then maybe a
         * reference fragment: each goes to the decoder as it comes, and
         * the frame shown is the last one the decoder gave. */
        FacetPicture shown = { 0 };
        int have_shown = 0;
        for (int n = 0;; n++) {
            FacetPacket packet = { 0 };
            start = now_ms();
            err = facet_encoder_receive_packet(encoder, &packet);
            result->encode_ms += now_ms() - start;
            if (err == FACET_ERR(EAGAIN) && n > 0)
                break;
            if (err < 0) {
                progress_break();
                fprintf(stderr, "Facet encoder, frame %d: %s\n", i, facet_strerror(err));
                facet_picture_unref(&shown);
                goto done;
            }
            result->frame_bytes[i] += (uint32_t)packet.size;
            FacetPicture decoded = { 0 };
            start = now_ms();
            err = facet_decoder_send_packet(decoder, &packet);
            if (err >= 0)
                err = facet_decoder_receive_frame(decoder, &decoded);
            result->decode_ms += now_ms() - start;
            facet_packet_unref(&packet);
            if (err == FACET_ERR(EAGAIN))
                continue; /* a reference fragment: taken, no frame */
            if (err < 0) {
                /* The receiver keeps showing its last picture. */
                progress_break();
                fprintf(stderr, "Facet decoder, frame %d: %s\n", i, facet_strerror(err));
                continue;
            }
            facet_picture_unref(&shown);
            shown = decoded;
            have_shown = 1;
        }
        if (have_shown) {
            int pushed = frame_delivery_push(&delivery, i, &shown);
            facet_picture_unref(&shown);
            if (pushed < 0)
                goto done;
        }
        progress_frame(i + 1, clip->count);
    }
    if (frame_delivery_finish(&delivery) < 0) {
        progress_break();
        fprintf(stderr, "Facet: no frame could be decoded\n");
        goto done;
    }
    result->encode_ms /= clip->count;
    result->decode_ms /= clip->count;
    ret = 0;
done:
    frame_delivery_free(&delivery);
    facet_decoder_close(&decoder);
    facet_encoder_close(&encoder);
    return ret;
}
