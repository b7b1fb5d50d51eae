/* SPDX-License-Identifier: BSD-2-Clause */
/* The packaged talking-head clip; see test_clip.h. */
#include "test_clip.h"

#include <check.h>
#include <unistd.h>

#ifndef FACET_TEST_CLIP
#error "FACET_TEST_CLIP (the path of movie-hello.mp4) comes from tests/CMakeLists.txt"
#endif

VideoReader *test_clip_open(int width, int height)
{
    ck_assert_msg(access(FACET_TEST_CLIP, R_OK) == 0,
                  "%s is missing: scripts/setup installs it (Debian package "
                  "forensics-samples-files)", FACET_TEST_CLIP);
    VideoReader *reader = video_reader_open(FACET_TEST_CLIP, width, height);
    ck_assert_msg(reader != NULL, "cannot read %s (see the message above)", FACET_TEST_CLIP);
    ck_assert_int_eq(video_reader_set_crop(reader, TEST_CLIP_CROP_X, TEST_CLIP_CROP_Y,
                                           TEST_CLIP_CROP_SIZE, TEST_CLIP_CROP_SIZE),
                     0);
    return reader;
}
