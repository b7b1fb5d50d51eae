/* SPDX-License-Identifier: BSD-2-Clause */
/* Real frames for the suites that need them: the webcam picture in the
 * corner of movie-hello.mp4, the screen recording of Debian's
 * forensics-samples-files package (scripts/setup installs it), a talking
 * head the model never trained on. Tests read nothing outside the project
 * and the packages it installs. */
#ifndef FACET_TESTS_TEST_CLIP_H
#define FACET_TESTS_TEST_CLIP_H

#include "video_reader.h"

/* The webcam picture: 188 x 188 source pixels at (130, 84) of the 1280 x 720
 * H.264 clip (what facet-bandwidth crops by default), 250 frames at 30 fps. */
#define TEST_CLIP_CROP_X 130
#define TEST_CLIP_CROP_Y 84
#define TEST_CLIP_CROP_SIZE 188

/* Opens the webcam picture of the clip, scaled to width x height. Fails the
 * running Check test, saying which package to install, when the clip is
 * missing or cannot be read. */
VideoReader *test_clip_open(int width, int height);

#endif /* FACET_TESTS_TEST_CLIP_H */
