/* SPDX-License-Identifier: BSD-2-Clause */
/* Reads any video FFmpeg can open as I420 pictures (optionally scaled). */
#ifndef FACET_MEDIA_VIDEO_READER_H
#define FACET_MEDIA_VIDEO_READER_H

#include "facet/facet.h"

typedef struct VideoReader VideoReader;

/* Opens `path`. width/height 0 keep the source size; otherwise every frame
 * is scaled to width x height. On failure prints why to stderr and returns
 * NULL. */
VideoReader *video_reader_open(const char *path, int width, int height);

/* Crops every frame to the rectangle of `width` x `height` source pixels at
 * (x, y) before scaling, instead of the centred crop to the output's aspect
 * ratio. x and y are rounded down to the source's chroma grid. The
 * rectangle must lie inside the source picture. Returns 0, or -1 with the
 * reason printed to stderr. */
int video_reader_set_crop(VideoReader *reader, int x, int y, int width, int height);

/* Picture size of the source stream, before cropping and scaling. */
void video_reader_source_size(const VideoReader *reader, int *width, int *height);

/* Time of a picture's pts (as video_reader_read() sets it) in seconds;
 * NAN when the stream gave the frame no timestamp. */
double video_reader_seconds(const VideoReader *reader, int64_t pts);

/* Size of the pictures video_reader_read() returns, and the frame rate. */
void video_reader_format(const VideoReader *reader, int *width, int *height, int *fps_num,
                         int *fps_den);

/* Reads the next frame into *picture (allocated by the reader; release with
 * facet_picture_unref()). Returns 1 for a frame, 0 at the end, -1 on error
 * (printed to stderr). */
int video_reader_read(VideoReader *reader, FacetPicture *picture);

void video_reader_close(VideoReader **reader);

#endif
