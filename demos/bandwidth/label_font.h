/* SPDX-License-Identifier: BSD-2-Clause */
/* Text burnt into a picture plane with a built-in 5x7 bitmap font. */
#ifndef FACET_BANDWIDTH_LABEL_FONT_H
#define FACET_BANDWIDTH_LABEL_FONT_H

#include <stddef.h>
#include <stdint.h>

#define LABEL_FONT_WIDTH 5
#define LABEL_FONT_HEIGHT 7

/* Width in pixels of `text` drawn at `scale` (each font pixel becomes a
 * scale x scale block; one blank column between characters). */
int label_font_width(const char *text, int scale);

/* Sets the pixels of `text` to `value` in an 8-bit plane, top-left corner
 * at (x, y), clipped to width x height. */
void label_font_draw(uint8_t *plane, ptrdiff_t stride, int width, int height, int x, int y,
                     int scale, const char *text, uint8_t value);

#endif
