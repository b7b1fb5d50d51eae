/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * embedding_example: the smallest complete program that uses libfacet the
 * way a call application does, without GStreamer (docs/embedding.md walks
 * through it).
 *
 *   embedding_example [MODEL]
 *
 * MODEL is a model file (models/facet-256.safetensors in the source tree);
 * without it the library resolves the model itself ($FACET_MODEL, then the
 * installed model, else intra-only). The program encodes a synthetic moving
 * scene, carries the packets over a pretend network that loses one delta
 * packet and one keyframe, and decodes them. A delta without its keyframe
 * is answered with FACET_ERR(ENOENT); the receiver then asks the sender for
 * a keyframe (in a real call: RTCP PLI) and the stream recovers at the next
 * frame. It checks what it prints and exits 1 when the codec misbehaves.
 */
#include <facet/facet.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    WIDTH = 256,
    HEIGHT = 256,
    FRAMES = 30,
    /* The pretend network loses these packets. */
    LOST_DELTA = 5,
    LOST_KEYFRAME = 12, /* the sender makes this frame a keyframe (a scene cut) */
};

/* Keyframes are coded with a conventional intra codec at quality 60: on this
 * smooth synthetic scene they come out far above this floor, while a wrong
 * plane, size or level shift falls far below it. */
#define KEYFRAME_PSNR_FLOOR_DB 30.0
/* Delta frames are rendered by the network from the keyframe and keypoints:
 * the shipped model gets 21-28 dB on this scene; a renderer that outputs a
 * flat or misplaced picture gets under 12 dB. */
#define DELTA_PSNR_FLOOR_DB 15.0

static void log_message(void *opaque, const char *message)
{
    fprintf(stderr, "%s: libfacet: %s\n", (const char *)opaque, message);
}

/* A bright ellipse (a "head") drifting over a gradient: a frame the encoder
 * can find keypoints in, different from frame to frame. */
static void draw_frame(FacetPicture *picture, int index)
{
    double cx = WIDTH * (0.5 + 0.12 * sin(index * 0.21));
    double cy = HEIGHT * (0.45 + 0.06 * cos(index * 0.17));

    for (int y = 0; y < HEIGHT; y++) {
        uint8_t *row = picture->data[0] + y * picture->stride[0];
        for (int x = 0; x < WIDTH; x++) {
            double dx = (x - cx) / (WIDTH * 0.22), dy = (y - cy) / (HEIGHT * 0.3);
            bool inside = dx * dx + dy * dy < 1.0;
            row[x] = (uint8_t)(inside ? 200 - 40 * dy : 40 + (x + y) / 4);
        }
    }
    for (int p = 1; p < 3; p++) {
        for (int y = 0; y < (HEIGHT + 1) / 2; y++) {
            uint8_t *row = picture->data[p] + y * picture->stride[p];
            for (int x = 0; x < (WIDTH + 1) / 2; x++)
                row[x] = (uint8_t)(p == 1 ? 110 + x / 8 : 150 - y / 8);
        }
    }
    picture->pts = index;
}

static double luma_psnr(const FacetPicture *a, const FacetPicture *b)
{
    double sum = 0.0;
    for (int y = 0; y < HEIGHT; y++) {
        for (int x = 0; x < WIDTH; x++) {
            double d = (double)a->data[0][y * a->stride[0] + x] - b->data[0][y * b->stride[0] + x];
            sum += d * d;
        }
    }
    double mse = sum / (WIDTH * HEIGHT);
    return mse > 0.0 ? 10.0 * log10(255.0 * 255.0 / mse) : 99.0;
}

/* Sender side: one frame in, its packet out (each frame yields exactly one
 * packet; the loop drains the encoder the way the EAGAIN pattern asks). */
static int encode_frame(FacetEncoder *encoder, const FacetPicture *picture, FacetPacket *packet)
{
    int ret = facet_encoder_send_frame(encoder, picture);
    if (ret < 0)
        return ret;
    return facet_encoder_receive_packet(encoder, packet);
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : NULL;
    FacetEncoderSettings enc_settings;
    FacetDecoderSettings dec_settings;
    FacetEncoder *encoder = NULL;
    FacetDecoder *decoder = NULL;
    FacetPicture source = { 0 };
    FacetStreamInfo info;
    int decoded = 0, refused = 0, keyframe_requests = 0, failures = 0;
    bool waiting_for_keyframe = false;
    bool keypoint_mode = false; /* a delta was seen: the encoder has a model */
    int ret;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [MODEL]\n", argv[0]);
        return 2;
    }

    facet_encoder_default_settings(&enc_settings);
    enc_settings.width = WIDTH;
    enc_settings.height = HEIGHT;
    /* Keyframes only on request, so every one in this run is explained by
     * the story above. */
    enc_settings.keyframe_interval = 3600.0;
    enc_settings.threads = 1;
    enc_settings.model_path = model;
    enc_settings.log_callback = log_message;
    enc_settings.log_opaque = "encoder";
    ret = facet_encoder_open(&encoder, &enc_settings);
    if (ret < 0) {
        fprintf(stderr, "cannot open the encoder: %s\n", facet_strerror(ret));
        return 1;
    }

    facet_decoder_default_settings(&dec_settings);
    dec_settings.output_format = FACET_PIXEL_FORMAT_I420;
    dec_settings.threads = 1;
    dec_settings.model_path = model;
    dec_settings.log_callback = log_message;
    dec_settings.log_opaque = "decoder";
    ret = facet_decoder_open(&decoder, &dec_settings);
    if (ret < 0) {
        fprintf(stderr, "cannot open the decoder: %s\n", facet_strerror(ret));
        goto error;
    }

    ret = facet_picture_alloc(&source, FACET_PIXEL_FORMAT_I420, WIDTH, HEIGHT);
    if (ret < 0)
        goto error;

    for (int i = 0; i < FRAMES; i++) {
        FacetPacket packet = { 0 };
        FacetPicture output = { 0 };
        bool keyframe;

        draw_frame(&source, i);
        if (i == LOST_KEYFRAME)
            facet_encoder_request_keyframe(encoder);
        ret = encode_frame(encoder, &source, &packet);
        if (ret < 0) {
            fprintf(stderr, "frame %d: encoding failed: %s\n", i, facet_strerror(ret));
            goto error;
        }
        keyframe = packet.flags & FACET_PACKET_FLAG_KEYFRAME;
        keypoint_mode |= !keyframe;

        if (i == LOST_DELTA || i == LOST_KEYFRAME) {
            printf("frame %2d: %-8s %5zu bytes  lost on the network\n", i,
                   keyframe ? "keyframe" : "delta", packet.size);
            if (i == LOST_KEYFRAME && !keyframe) {
                fprintf(stderr, "frame %d: a keyframe was requested, a delta came\n", i);
                failures++;
            }
            if (i == LOST_DELTA && keyframe && keypoint_mode) {
                fprintf(stderr, "frame %d: an unrequested keyframe in keypoint mode\n", i);
                failures++;
            }
            facet_packet_unref(&packet);
            continue;
        }

        /* Receiver side. */
        ret = facet_decoder_send_packet(decoder, &packet);
        if (ret == 0)
            ret = facet_decoder_receive_frame(decoder, &output);
        if (ret == FACET_ERR(ENOENT) || ret == FACET_ERR(EBADMSG)) {
            /* The reference this delta needs is gone: drop it and ask the
             * sender for a keyframe, once (RTCP PLI in a call). */
            printf("frame %2d: %-8s %5zu bytes  not decodable (%s)%s\n", i,
                   keyframe ? "keyframe" : "delta", packet.size, facet_strerror(ret),
                   waiting_for_keyframe ? "" : ", keyframe requested");
            if (!waiting_for_keyframe) {
                facet_encoder_request_keyframe(encoder);
                keyframe_requests++;
                waiting_for_keyframe = true;
            }
            refused++;
        } else if (ret < 0) {
            fprintf(stderr, "frame %d: decoding failed: %s\n", i, facet_strerror(ret));
            facet_packet_unref(&packet);
            goto error;
        } else {
            double psnr = luma_psnr(&source, &output);
            printf("frame %2d: %-8s %5zu bytes  decoded %dx%d, luma PSNR %.1f dB\n", i,
                   keyframe ? "keyframe" : "delta", packet.size, output.width, output.height,
                   psnr);
            if (output.width != WIDTH || output.height != HEIGHT || output.pts != i) {
                fprintf(stderr, "frame %d: wrong size or pts\n", i);
                failures++;
            }
            if (keyframe && psnr < KEYFRAME_PSNR_FLOOR_DB) {
                fprintf(stderr, "frame %d: keyframe PSNR %.1f dB below %.1f dB\n", i, psnr,
                        KEYFRAME_PSNR_FLOOR_DB);
                failures++;
            }
            if (!keyframe && psnr < DELTA_PSNR_FLOOR_DB) {
                fprintf(stderr, "frame %d: delta PSNR %.1f dB below %.1f dB\n", i, psnr,
                        DELTA_PSNR_FLOOR_DB);
                failures++;
            }
            if (keyframe)
                waiting_for_keyframe = false;
            decoded++;
            facet_picture_unref(&output);
        }
        facet_packet_unref(&packet);
    }

    if (facet_decoder_get_stream_info(decoder, &info) == 0)
        printf("stream: %dx%d at %d/%d fps, model id %08x (%s)\n", info.width, info.height,
               info.fps_num, info.fps_den, (unsigned)info.model_id,
               info.model_id ? "keypoint mode" : "intra-only");
    printf("decoded %d of %d frames, %d refused, %d keyframe request(s)\n", decoded, FRAMES,
           refused, keyframe_requests);

    /* With a model, the delta after the lost keyframe is refused and asks
     * for a keyframe, which arrives with the next frame: exactly one frame
     * refused. Intra-only streams lose nothing but the two lost packets. */
    if (facet_decoder_get_stream_info(decoder, &info) == 0 && info.model_id != 0) {
        if (refused != 1 || keyframe_requests != 1) {
            fprintf(stderr, "expected one refused delta and one keyframe request\n");
            failures++;
        }
    } else if (refused != 0) {
        fprintf(stderr, "an intra-only stream refused a packet\n");
        failures++;
    }
    if (decoded != FRAMES - 2 - refused) {
        fprintf(stderr, "expected %d decoded frames\n", FRAMES - 2 - refused);
        failures++;
    }

    facet_picture_unref(&source);
    facet_decoder_close(&decoder);
    facet_encoder_close(&encoder);
    if (failures) {
        fprintf(stderr, "embedding_example: %d check(s) failed\n", failures);
        return 1;
    }
    printf("embedding_example: all checks passed\n");
    return 0;

error:
    facet_picture_unref(&source);
    facet_decoder_close(&decoder);
    facet_encoder_close(&encoder);
    return 1;
}
