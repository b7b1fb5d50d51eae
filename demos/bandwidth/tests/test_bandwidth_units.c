/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo's pure parts: BD-rate, Pareto fronts, PCHIP, the best
 * conventional curve and the BD table, peaks, curve names, crop parsing,
 * the label font, the in-order delivery of decoded frames and the bytes
 * of a packet a call sends. */
#include "bd_rate.h"
#include "bd_table.h"
#include "clip.h"
#include "frame_delivery.h"
#include "label_font.h"
#include "run_result.h"
#include "wire_bytes.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const RdPoint anchor_curve[] = {
    { 10.0, 0.80 }, { 20.0, 0.86 }, { 40.0, 0.90 }, { 80.0, 0.93 }, { 160.0, 0.95 },
};
#define ANCHOR_COUNT 5

START_TEST(test_half_rate_is_minus_fifty_percent)
{
    RdPoint test[ANCHOR_COUNT];
    for (int i = 0; i < ANCHOR_COUNT; i++)
        test[i] = (RdPoint){ anchor_curve[i].kbps * 0.5, anchor_curve[i].quality };
    double percent, low, high;
    ck_assert_int_eq(bd_rate(test, ANCHOR_COUNT, anchor_curve, ANCHOR_COUNT, &percent, &low,
                             &high), 0);
    ck_assert_double_eq_tol(percent, -50.0, 1e-9);
    ck_assert_double_eq_tol(low, 0.80, 1e-12);
    ck_assert_double_eq_tol(high, 0.95, 1e-12);
    /* And the other way round. */
    ck_assert_int_eq(bd_rate(anchor_curve, ANCHOR_COUNT, test, ANCHOR_COUNT, &percent, &low,
                             &high), 0);
    ck_assert_double_eq_tol(percent, 100.0, 1e-9);
}
END_TEST

START_TEST(test_partial_overlap_uses_common_range)
{
    /* log(rate) linear in quality (PCHIP reproduces lines exactly): the
     * anchor covers 0.80..0.95, the test 0.85..1.00 at 1.5x the anchor's
     * rate, so over the common 0.85..0.95 the BD-rate is +50%. */
    RdPoint anchor[4], test[4];
    for (int i = 0; i < 4; i++) {
        double qa = 0.80 + 0.05 * i, qt = 0.85 + 0.05 * i;
        anchor[i] = (RdPoint){ 10.0 * exp(20.0 * (qa - 0.80)), qa };
        test[i] = (RdPoint){ 1.5 * 10.0 * exp(20.0 * (qt - 0.80)), qt };
    }
    double percent, low, high;
    ck_assert_int_eq(bd_rate(test, 4, anchor, 4, &percent, &low, &high), 0);
    ck_assert_double_eq_tol(low, 0.85, 1e-12);
    ck_assert_double_eq_tol(high, 0.95, 1e-12);
    ck_assert_double_eq_tol(percent, 50.0, 1e-6);
}
END_TEST

START_TEST(test_no_overlap)
{
    RdPoint low_curve[2] = { { 5.0, 0.70 }, { 8.0, 0.75 } };
    double percent = 123.0, low = 1.0, high = 2.0;
    ck_assert_int_eq(bd_rate(low_curve, 2, anchor_curve, ANCHOR_COUNT, &percent, &low, &high), -1);
    ck_assert_double_eq(percent, 123.0);
    ck_assert_double_eq(low, 1.0);
    /* One point is no curve. */
    ck_assert_int_eq(bd_rate(anchor_curve, 1, anchor_curve, ANCHOR_COUNT, &percent, &low, &high),
                     -1);
}
END_TEST

START_TEST(test_pchip_is_exact_on_lines_and_monotone)
{
    double x[4] = { 0.0, 1.0, 3.0, 4.0 }, y[4] = { 1.0, 3.0, 7.0, 9.0 }; /* y = 2x + 1 */
    for (double at = 0.0; at <= 4.0; at += 0.125)
        ck_assert_double_eq_tol(pchip_eval(x, y, 4, at), 2.0 * at + 1.0, 1e-12);
    /* A step: the interpolant must not overshoot (a cubic fit would). */
    double ys[4] = { 0.0, 0.0, 1.0, 1.0 };
    double previous = -1.0;
    for (double at = 0.0; at <= 4.0; at += 0.01) {
        double v = pchip_eval(x, ys, 4, at);
        ck_assert(v >= -1e-12 && v <= 1.0 + 1e-12);
        ck_assert(v >= previous - 1e-12);
        previous = v;
    }
    /* It passes through every point. */
    double yc[4] = { 2.0, 5.0, 5.5, 9.0 };
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(pchip_eval(x, yc, 4, x[i]), yc[i], 1e-12);
}
END_TEST

START_TEST(test_pareto_front)
{
    RdPoint points[] = {
        { 40.0, 0.90 }, { 10.0, 0.80 }, { 20.0, 0.78 }, /* dominated by 10 kbit/s */
        { 30.0, 0.90 },                                 /* beats 40 kbit/s at the same quality */
        { 0.0, 0.99 },                                  /* no rate: invalid */
        { 50.0, NAN },                                  /* no quality: invalid */
        { 60.0, 0.95 },
    };
    int n = rd_pareto(points, 7);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq(points[0].kbps, 10.0);
    ck_assert_double_eq(points[1].kbps, 30.0);
    ck_assert_double_eq(points[2].kbps, 60.0);
}
END_TEST

START_TEST(test_crop_parsing)
{
    ClipCrop crop;
    ck_assert_int_eq(clip_parse_crop("188:188:130:84", &crop), 0);
    ck_assert_int_eq(crop.width, 188);
    ck_assert_int_eq(crop.height, 188);
    ck_assert_int_eq(crop.x, 130);
    ck_assert_int_eq(crop.y, 84);
    const char *bad[] = { "", "188:188:130", "188:188:130:84:1", "0:10:0:0", "10:10:-1:0",
                          "a:b:c:d", "10:10:0:0x", "10x10" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(clip_parse_crop(bad[i], &crop) < 0, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_label_font)
{
    ck_assert_int_eq(label_font_width("", 2), 0);
    ck_assert_int_eq(label_font_width("AV1", 1), 3 * 6 - 1);
    ck_assert_int_eq(label_font_width("AV1", 2), 2 * (3 * 6 - 1));
    uint8_t plane[12 * 20];
    memset(plane, 0, sizeof(plane));
    label_font_draw(plane, 20, 20, 12, 1, 1, 1, "1", 255);
    /* "1": a vertical stroke in the middle column with a foot of 3. */
    for (int y = 1; y < 8; y++)
        ck_assert_int_eq(plane[y * 20 + 3], 255);
    ck_assert_int_eq(plane[7 * 20 + 2], 255);
    ck_assert_int_eq(plane[7 * 20 + 4], 255);
    ck_assert_int_eq(plane[1 * 20 + 1], 0);
    /* Lower case draws as upper case; drawing is clipped to the plane. */
    uint8_t upper[12 * 20] = { 0 }, lower[12 * 20] = { 0 };
    label_font_draw(upper, 20, 20, 12, -2, 8, 2, "KBIT", 200);
    label_font_draw(lower, 20, 20, 12, -2, 8, 2, "kbit", 200);
    ck_assert_mem_eq(upper, lower, sizeof(upper));
}
END_TEST

/* A sink that records which picture (by its first luma sample) each source
 * frame got. */
typedef struct Recorder {
    int values[8];
    int calls;
    int fail_at; /* -1: never */
} Recorder;

static int record_frame(void *opaque, int index, const FacetPicture *decoded)
{
    Recorder *r = opaque;
    if (index == r->fail_at)
        return -1;
    ck_assert_int_eq(index, r->calls); /* in source order, each once */
    r->values[index] = decoded->data[0][0];
    r->calls++;
    return 0;
}

static FacetPicture picture_with_value(uint8_t value)
{
    FacetPicture p;
    ck_assert_int_eq(facet_picture_alloc(&p, FACET_PIXEL_FORMAT_I420, 16, 16), 0);
    memset(p.data[0], value, (size_t)p.stride[0] * 16);
    memset(p.data[1], 128, (size_t)p.stride[1] * 8);
    memset(p.data[2], 128, (size_t)p.stride[2] * 8);
    return p;
}

START_TEST(test_delivery_fills_gaps)
{
    Recorder r = { .fail_at = -1 };
    FrameDelivery d;
    frame_delivery_init(&d, record_frame, &r, 8);
    FacetPicture a = picture_with_value(10), b = picture_with_value(20), c = picture_with_value(30);
    /* Frames 0 and 1 dropped: they show the first decoded picture (2). */
    ck_assert_int_eq(frame_delivery_push(&d, 2, &a), 0);
    /* A duplicate and an out-of-range index are ignored. */
    ck_assert_int_eq(frame_delivery_push(&d, 2, &c), 0);
    ck_assert_int_eq(frame_delivery_push(&d, 9, &c), 0);
    /* Frames 3 and 4 dropped: they show picture 2 again. */
    ck_assert_int_eq(frame_delivery_push(&d, 5, &b), 0);
    /* The caller may reuse its picture: the delivery kept a copy. */
    memset(b.data[0], 99, (size_t)b.stride[0] * 16);
    /* Frames 6 and 7 never decoded: the last picture. */
    ck_assert_int_eq(frame_delivery_finish(&d), 0);
    int expected[8] = { 10, 10, 10, 10, 10, 20, 20, 20 };
    ck_assert_int_eq(r.calls, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(r.values[i], expected[i]);
    frame_delivery_free(&d);
    facet_picture_unref(&a);
    facet_picture_unref(&b);
    facet_picture_unref(&c);
}
END_TEST

START_TEST(test_delivery_errors)
{
    Recorder r = { .fail_at = -1 };
    FrameDelivery d;
    frame_delivery_init(&d, record_frame, &r, 4);
    /* Nothing decoded: there is nothing to show. */
    ck_assert_int_eq(frame_delivery_finish(&d), -1);
    frame_delivery_free(&d);

    /* A failing sink stops the delivery. */
    Recorder failing = { .fail_at = 1 };
    frame_delivery_init(&d, record_frame, &failing, 4);
    FacetPicture a = picture_with_value(10);
    ck_assert_int_eq(frame_delivery_push(&d, 0, &a), 0);
    ck_assert_int_eq(frame_delivery_push(&d, 3, &a), -1);
    frame_delivery_free(&d);
    facet_picture_unref(&a);
}
END_TEST

START_TEST(test_peak_is_busiest_second)
{
    /* 5 fps, 12 frames: a 100-byte keyframe at 0 and at 7, 10 bytes
     * otherwise. The busiest window of 5 frames holds a keyframe and 4
     * deltas: 140 bytes, 1.12 kbit/s; the mean is 300 bytes over 2.4 s. */
    RunConfig config = { .codec = CODEC_X264, .size = 64, .coded_size = 64, .crf = -1 };
    RunResult r;
    ck_assert_int_eq(run_result_init(&r, &config, 12), 0);
    for (int i = 0; i < 12; i++)
        r.frame_bytes[i] = i == 0 || i == 7 ? 100 : 10;
    run_result_finish(&r, 5);
    ck_assert_double_eq_tol(r.kbps, 300 * 8 / 2.4 / 1000, 1e-12);
    ck_assert_double_eq_tol(r.peak_kbps, 1.12, 1e-12);
    run_result_free(&r);

    /* Shorter than a second: no peak. */
    ck_assert_int_eq(run_result_init(&r, &config, 4), 0);
    run_result_finish(&r, 5);
    ck_assert(isnan(r.peak_kbps));
    run_result_free(&r);
}
END_TEST

START_TEST(test_series_names)
{
    char name[64];
    RunConfig av1 = { .codec = CODEC_AV1, .size = 256, .coded_size = 128, .crf = -1 };
    run_series_name(&av1, name, sizeof(name));
    ck_assert_str_eq(name, "AV1 @128 + Lanczos");
    RunConfig full = av1;
    full.coded_size = 256;
    run_series_name(&full, name, sizeof(name));
    ck_assert_str_eq(name, "AV1");
    RunConfig facet = { .codec = CODEC_FACET, .size = 256, .coded_size = 256 };
    run_series_name(&facet, name, sizeof(name));
    ck_assert_str_eq(name, "Facet keypoints");
    /* Same curve: codec, coded size and measured size; a target does not
     * matter. */
    RunConfig other_rate = av1;
    other_rate.target_kbps = 40;
    ck_assert(run_same_series(&av1, &other_rate));
    ck_assert(!run_same_series(&av1, &full));
    /* Facet first, then by codec, full resolution before reduced. */
    ck_assert_int_lt(run_series_compare(&facet, &av1), 0);
    ck_assert_int_lt(run_series_compare(&full, &av1), 0);
}
END_TEST

/* A run with just what the envelope and the BD table read. */
static RunResult fake_run_peak(CodecKind codec, int size, int coded_size, double kbps,
                               double peak_kbps, double ssim)
{
    RunResult r = { .config = { .codec = codec, .size = size, .coded_size = coded_size,
                                .crf = -1 },
                    .kbps = kbps,
                    .peak_kbps = peak_kbps };
    r.mean.ssim = ssim;
    r.mean.psnr = 20.0 + 20.0 * ssim;
    return r;
}

/* One of a clip shorter than a second: no peak. */
static RunResult fake_run(CodecKind codec, int size, int coded_size, double kbps, double ssim)
{
    return fake_run_peak(codec, size, coded_size, kbps, NAN, ssim);
}

START_TEST(test_best_conventional_curve)
{
    RunResult runs[] = {
        fake_run(CODEC_AV1, 256, 256, 20.0, 0.90),
        fake_run(CODEC_AV1, 256, 256, 40.0, 0.95),
        fake_run(CODEC_AV1, 256, 128, 10.0, 0.85), /* downscaled: cheapest */
        fake_run(CODEC_AV1, 256, 128, 20.0, 0.88), /* beaten by full-size AV1 */
        fake_run(CODEC_X264, 256, 256, 30.0, 0.93),
        fake_run(CODEC_X264, 256, 256, 50.0, 0.94), /* beaten by a cheaper AV1 */
        fake_run(CODEC_FACET, 256, 256, 5.0, 0.99), /* not conventional */
        fake_run(CODEC_VP8, 512, 512, 5.0, 0.99),   /* another size */
    };
    int count = (int)(sizeof(runs) / sizeof(runs[0]));
    EnvelopePoint points[8];
    int n = bd_envelope(runs, count, 256, BD_RATE_MEAN, BD_METRIC_SSIM, points);
    ck_assert_int_eq(n, 4);
    ck_assert_ptr_eq(points[0].run, &runs[2]);
    ck_assert_ptr_eq(points[1].run, &runs[0]);
    ck_assert_ptr_eq(points[2].run, &runs[4]);
    ck_assert_ptr_eq(points[3].run, &runs[1]);

    /* No run has a peak: the envelope at peak rate is empty. */
    ck_assert_int_eq(bd_envelope(runs, count, 256, BD_RATE_PEAK, BD_METRIC_SSIM, points), 0);

    /* The BD table: Facet against the envelope first, then each of the 3
     * conventional curves at 256, each on SSIM and PSNR at mean rate only
     * (no peaks); a Facet curve of one point has too few points and says
     * so. */
    BdRow rows[16];
    int rows_n = bd_table_compute(runs, count, rows, 16);
    ck_assert_int_eq(rows_n, 2 * 4);
    for (int i = 0; i < rows_n; i++)
        ck_assert_int_eq(rows[i].axis, BD_RATE_MEAN);
    ck_assert(rows[0].envelope);
    ck_assert_str_eq(rows[0].anchor, "best conventional");
    ck_assert_str_eq(rows[0].test, "Facet keypoints");
    ck_assert_str_eq(rows[2].anchor, "x264");
    ck_assert_str_eq(rows[4].anchor, "AV1");
    ck_assert_str_eq(rows[6].anchor, "AV1 @128 + Lanczos");
    ck_assert(!rows[0].overlap);
    char text[512];
    bd_row_describe(&rows[0], text, sizeof(text));
    ck_assert_msg(strstr(text, "too few points") != NULL, "%s", text);
}
END_TEST

/* Runs whose order by peak rate is not their order by mean rate: AV1 is
 * cheapest on the mean but bursts to 4x it; VP8 costs more on the mean but
 * holds its peak at 1.25x. Facet holds it at 1.25x too, at 1.2x AV1's mean
 * and 0.75x VP8's. Two points per curve, each at the same ratio of rate:
 * the BD-rate is exactly that ratio. */
static int peak_axis_runs(RunResult *runs)
{
    int n = 0;
    runs[n++] = fake_run_peak(CODEC_AV1, 256, 256, 10.0, 40.0, 0.85);
    runs[n++] = fake_run_peak(CODEC_AV1, 256, 256, 20.0, 80.0, 0.90);
    runs[n++] = fake_run_peak(CODEC_VP8, 256, 256, 16.0, 20.0, 0.85);
    runs[n++] = fake_run_peak(CODEC_VP8, 256, 256, 32.0, 40.0, 0.90);
    runs[n++] = fake_run_peak(CODEC_FACET, 256, 256, 12.0, 15.0, 0.85);
    runs[n++] = fake_run_peak(CODEC_FACET, 256, 256, 24.0, 30.0, 0.90);
    return n;
}

START_TEST(test_envelope_at_peak_rate)
{
    RunResult runs[6];
    int count = peak_axis_runs(runs);
    EnvelopePoint points[6];
    /* By mean: AV1's runs, at their mean rates. */
    ck_assert_int_eq(bd_envelope(runs, count, 256, BD_RATE_MEAN, BD_METRIC_SSIM, points), 2);
    ck_assert_ptr_eq(points[0].run, &runs[0]);
    ck_assert_ptr_eq(points[1].run, &runs[1]);
    ck_assert_double_eq(points[0].point.kbps, 10.0);
    /* By peak: VP8's, at their peak rates. */
    ck_assert_int_eq(bd_envelope(runs, count, 256, BD_RATE_PEAK, BD_METRIC_SSIM, points), 2);
    ck_assert_ptr_eq(points[0].run, &runs[2]);
    ck_assert_ptr_eq(points[1].run, &runs[3]);
    ck_assert_double_eq(points[0].point.kbps, 20.0);
    ck_assert_double_eq(points[1].point.kbps, 40.0);
    ck_assert_double_eq(points[1].point.quality, 0.90);
}
END_TEST

START_TEST(test_bd_rate_at_peak_rate)
{
    RunResult runs[6];
    int count = peak_axis_runs(runs);
    BdRow rows[32];
    /* Facet against the envelope, VP8 and AV1 (run_series_compare order),
     * each at mean then peak rate, on SSIM then PSNR. */
    ck_assert_int_eq(bd_table_compute(runs, count, rows, 32), 3 * 2 * 2);
    ck_assert_int_eq(rows[0].axis, BD_RATE_MEAN);
    ck_assert_int_eq(rows[0].metric, BD_METRIC_SSIM);
    ck_assert_int_eq(rows[1].metric, BD_METRIC_PSNR);
    ck_assert_int_eq(rows[2].axis, BD_RATE_PEAK);
    ck_assert_int_eq(rows[2].metric, BD_METRIC_SSIM);
    ck_assert_int_eq(rows[3].axis, BD_RATE_PEAK);
    ck_assert_str_eq(rows[4].anchor, "VP8");
    ck_assert_str_eq(rows[8].anchor, "AV1");

    /* Against the best conventional curve: +20% at equal mean rate (AV1's
     * envelope), -25% at equal peak rate (VP8's). */
    static const struct {
        const char *anchor;
        BdRateAxis axis;
        double percent;
        double test_lowest, anchor_lowest;
    } expected[] = {
        { BD_ENVELOPE_NAME, BD_RATE_MEAN, 20.0, 12.0, 10.0 },
        { BD_ENVELOPE_NAME, BD_RATE_PEAK, -25.0, 15.0, 20.0 },
        { "VP8", BD_RATE_MEAN, -25.0, 12.0, 16.0 },
        { "VP8", BD_RATE_PEAK, -25.0, 15.0, 20.0 },
        { "AV1", BD_RATE_MEAN, 20.0, 12.0, 10.0 },
        { "AV1", BD_RATE_PEAK, -62.5, 15.0, 40.0 },
    };
    for (size_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++)
        for (int metric = 0; metric < BD_METRIC_COUNT; metric++) {
            BdRow like = { .size = 256 };
            snprintf(like.test, sizeof(like.test), "Facet keypoints");
            snprintf(like.anchor, sizeof(like.anchor), "%s", expected[e].anchor);
            const BdRow *row = bd_table_find(rows, 12, &like, expected[e].axis, metric);
            ck_assert_ptr_nonnull(row);
            ck_assert(row->overlap);
            ck_assert_msg(fabs(row->percent - expected[e].percent) < 1e-6, "%s %s %s: %.4f%%",
                          expected[e].anchor, bd_rate_axis_name(expected[e].axis),
                          bd_metric_name(metric), row->percent);
            ck_assert_double_eq(row->test_lowest.kbps, expected[e].test_lowest);
            ck_assert_double_eq(row->anchor_lowest.kbps, expected[e].anchor_lowest);
        }

    /* A description on the peak axis says its rates are peaks. */
    const BdRow *peak = bd_table_find(rows, 12, &rows[0], BD_RATE_PEAK, BD_METRIC_SSIM);
    BdRow apart = *peak;
    apart.overlap = 0;
    char text[512];
    bd_row_describe(&apart, text, sizeof(text));
    ck_assert_msg(strstr(text, "at 15.0 to 30.0 kbit/s peak") != NULL, "%s", text);
}
END_TEST

/* What RTP would carry of each packet: an AV1 unit without its temporal
 * delimiter, H.264 NAL units without their start codes, VP8 whole. */
START_TEST(test_wire_bytes)
{
    /* Temporal delimiter (type 2, size field 0), then a frame OBU. */
    static const uint8_t av1[] = { 0x12, 0x00, 0x32, 0x03, 0xaa, 0xbb, 0xcc };
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, av1, sizeof(av1)), 5);
    /* With an extension header: 3 bytes. */
    static const uint8_t av1_ext[] = { 0x16, 0x08, 0x00, 0x32, 0x01, 0xaa };
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, av1_ext, sizeof(av1_ext)), 3);
    /* No delimiter, or a cut one, or one with a payload: all counted. */
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, av1 + 2, 5), 5);
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, av1, 1), 1);
    static const uint8_t odd[] = { 0x12, 0x01, 0x00 };
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, odd, sizeof(odd)), 3);
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_AV1, NULL, 0), 0);
    /* A 4-byte and a 3-byte start code around two NAL units. */
    static const uint8_t h264[] = { 0, 0, 0, 1, 0x67, 0x42, 0x80, 0, 0, 1, 0x65, 0x88, 0x84 };
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_ANNEX_B, h264, sizeof(h264)), 6);
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_ANNEX_B, h264 + 4, 3), 3);
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_ANNEX_B, NULL, 0), 0);
    ck_assert_uint_eq(wire_bytes(WIRE_FRAMING_NONE, h264, sizeof(h264)), sizeof(h264));
}
END_TEST

static Suite *bandwidth_suite(void)
{
    Suite *suite = suite_create("bandwidth");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_half_rate_is_minus_fifty_percent);
    tcase_add_test(tc, test_partial_overlap_uses_common_range);
    tcase_add_test(tc, test_no_overlap);
    tcase_add_test(tc, test_pchip_is_exact_on_lines_and_monotone);
    tcase_add_test(tc, test_pareto_front);
    tcase_add_test(tc, test_crop_parsing);
    tcase_add_test(tc, test_label_font);
    tcase_add_test(tc, test_delivery_fills_gaps);
    tcase_add_test(tc, test_delivery_errors);
    tcase_add_test(tc, test_peak_is_busiest_second);
    tcase_add_test(tc, test_series_names);
    tcase_add_test(tc, test_best_conventional_curve);
    tcase_add_test(tc, test_envelope_at_peak_rate);
    tcase_add_test(tc, test_bd_rate_at_peak_rate);
    tcase_add_test(tc, test_wire_bytes);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(bandwidth_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
