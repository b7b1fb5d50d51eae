/* SPDX-License-Identifier: BSD-2-Clause */
/* YUV4MPEG2 output; see y4m_writer.h. */
#include "y4m_writer.h"

int y4m_write_header(FILE *file, int width, int height, int fps_num, int fps_den)
{
    /* C420jpeg is what FFmpeg writes for yuv420p, so `ffmpeg -i` reads it
     * back as the same format. */
    return fprintf(file, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n", width, height, fps_num,
                   fps_den) < 0
               ? -1
               : 0;
}

int y4m_write_frame(FILE *file, const FacetPicture *picture)
{
    if (picture->format != FACET_PIXEL_FORMAT_I420 || fputs("FRAME\n", file) < 0)
        return -1;
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (picture->width + 1) / 2 : picture->width;
        int h = plane ? (picture->height + 1) / 2 : picture->height;
        for (int y = 0; y < h; y++)
            if (fwrite(picture->data[plane] + y * picture->stride[plane], 1, (size_t)w, file) !=
                (size_t)w)
                return -1;
    }
    return 0;
}
