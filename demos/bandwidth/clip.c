/* SPDX-License-Identifier: BSD-2-Clause */
/* Loads the source clip; see clip.h. */
#include "clip.h"

#include "video_reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int clip_parse_crop(const char *text, ClipCrop *crop)
{
    int values[4], consumed = 0;
    if (sscanf(text, "%d:%d:%d:%d%n", &values[0], &values[1], &values[2], &values[3],
               &consumed) != 4 ||
        text[consumed] != '\0' || values[0] < 1 || values[1] < 1 || values[2] < 0 ||
        values[3] < 0)
        return -1;
    crop->width = values[0];
    crop->height = values[1];
    crop->x = values[2];
    crop->y = values[3];
    return 0;
}

void clip_free(SourceClip *clip)
{
    for (int i = 0; i < clip->count; i++)
        facet_picture_unref(&clip->frames[i]);
    free(clip->frames);
    memset(clip, 0, sizeof(*clip));
}

static int copy_picture(FacetPicture *dst, const FacetPicture *src)
{
    if (facet_picture_alloc(dst, FACET_PIXEL_FORMAT_I420, src->width, src->height) < 0)
        return -1;
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (src->width + 1) / 2 : src->width;
        int h = plane ? (src->height + 1) / 2 : src->height;
        for (int y = 0; y < h; y++)
            memcpy(dst->data[plane] + y * dst->stride[plane],
                   src->data[plane] + y * src->stride[plane], (size_t)w);
    }
    return 0;
}

/* Appends a copy of `picture` as the next output frame. */
static int append_frame(SourceClip *clip, int *capacity, const FacetPicture *picture)
{
    if (clip->count == *capacity) {
        int grown = *capacity ? 2 * *capacity : 64;
        FacetPicture *frames = realloc(clip->frames, (size_t)grown * sizeof(*frames));
        if (!frames)
            return -1;
        clip->frames = frames;
        *capacity = grown;
    }
    if (copy_picture(&clip->frames[clip->count], picture) < 0)
        return -1;
    clip->frames[clip->count].pts = clip->count;
    clip->count++;
    return 0;
}

int clip_load(SourceClip *clip, const char *path, const ClipCrop *crop, int size, int fps,
              double max_seconds)
{
    memset(clip, 0, sizeof(*clip));
    clip->size = size;
    clip->fps = fps;
    VideoReader *reader = video_reader_open(path, size, size);
    if (!reader)
        return -1;
    if (crop->width > 0 && video_reader_set_crop(reader, crop->x, crop->y, crop->width,
                                                 crop->height) < 0)
        goto error;
    int width, height, source_fps_num, source_fps_den;
    video_reader_format(reader, &width, &height, &source_fps_num, &source_fps_den);
    const int max_frames = (int)floor(max_seconds * fps + 1e-9);
    const double source_period = (double)source_fps_den / source_fps_num;

    /* Output frame n (time n / fps) takes the source frame nearest to it: a
     * source frame is held until the output time passes the midpoint to the
     * next one (what ffmpeg's fps filter does with round=near). */
    FacetPicture held = { 0 };
    double held_time = 0.0, first_time = NAN;
    int capacity = 0, have_held = 0, source_frames = 0;
    for (;;) {
        FacetPicture picture = { 0 };
        int got = video_reader_read(reader, &picture);
        if (got < 0)
            goto error_held;
        if (got == 0)
            break;
        double time = video_reader_seconds(reader, picture.pts);
        if (isnan(time))
            time = have_held ? held_time + source_period : 0.0;
        if (isnan(first_time))
            first_time = time;
        time -= first_time;
        if (have_held && time <= held_time) /* out of order or duplicate: keep the held one */
            time = held_time + 1e-6;
        source_frames++;
        if (have_held) {
            double midpoint = 0.5 * (held_time + time);
            while (clip->count < max_frames && (double)clip->count / fps < midpoint)
                if (append_frame(clip, &capacity, &held) < 0)
                    goto out_of_memory;
            facet_picture_unref(&held);
        }
        held = picture;
        held_time = time;
        have_held = 1;
        if (clip->count >= max_frames)
            break;
    }
    /* The last source frame lasts one source period. */
    if (have_held) {
        double end = held_time + source_period - 1e-9;
        while (clip->count < max_frames && (double)clip->count / fps < end)
            if (append_frame(clip, &capacity, &held) < 0)
                goto out_of_memory;
        facet_picture_unref(&held);
    }
    video_reader_close(&reader);
    if (clip->count == 0) {
        fprintf(stderr, "%s: no video frames could be decoded (%d read)\n", path, source_frames);
        clip_free(clip);
        return -1;
    }
    return 0;

out_of_memory:
    fprintf(stderr, "%s: out of memory\n", path);
error_held:
    facet_picture_unref(&held);
error:
    video_reader_close(&reader);
    clip_free(clip);
    return -1;
}
