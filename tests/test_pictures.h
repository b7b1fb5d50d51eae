/* SPDX-License-Identifier: BSD-2-Clause */
/* Synthetic test pictures and a PSNR helper shared by the test suites. */
#ifndef FACET_TESTS_TEST_PICTURES_H
#define FACET_TESTS_TEST_PICTURES_H

#include "facet/facet.h"

/* Fills an allocated I420 or RGB24 picture with a smooth scene (gradients,
 * a disc and a few edges) that moves with `phase`, so consecutive frames
 * differ like a slowly moving camera. */
void test_picture_fill(FacetPicture *picture, int phase);

/* Allocates and fills a picture; aborts the test program on failure. */
FacetPicture test_picture_make(FacetPixelFormat format, int width, int height, int phase);

/* PSNR over all samples of two pictures of the same format and size
 * (I420: the three planes; RGB24: the packed samples). */
double test_picture_psnr(const FacetPicture *a, const FacetPicture *b);

#endif
