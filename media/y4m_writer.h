/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes I420 pictures as a YUV4MPEG2 (.y4m) stream. */
#ifndef FACET_MEDIA_Y4M_WRITER_H
#define FACET_MEDIA_Y4M_WRITER_H

#include <stdio.h>

#include "facet/facet.h"

int y4m_write_header(FILE *file, int width, int height, int fps_num, int fps_den);
/* picture must be I420. Returns 0 or -1. */
int y4m_write_frame(FILE *file, const FacetPicture *picture);

#endif
