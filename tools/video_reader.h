/* Reads any video FFmpeg can open as I420 pictures (optionally scaled). */
#ifndef FACET_TOOLS_VIDEO_READER_H
#define FACET_TOOLS_VIDEO_READER_H

#include "facet/facet.h"

typedef struct VideoReader VideoReader;

/* Opens `path`. width/height 0 keep the source size; otherwise every frame
 * is scaled to width x height. On failure prints why to stderr and returns
 * NULL. */
VideoReader *video_reader_open(const char *path, int width, int height);

/* Size of the pictures video_reader_read() returns, and the frame rate. */
void video_reader_format(const VideoReader *reader, int *width, int *height, int *fps_num,
                         int *fps_den);

/* Reads the next frame into *picture (allocated by the reader; release with
 * facet_picture_unref()). Returns 1 for a frame, 0 at the end, -1 on error
 * (printed to stderr). */
int video_reader_read(VideoReader *reader, FacetPicture *picture);

void video_reader_close(VideoReader **reader);

#endif
