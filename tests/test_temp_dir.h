/* SPDX-License-Identifier: BSD-2-Clause */
/* A scratch directory per Check test case, for the suites that write model
 * files (test_network, test_safetensors). Made and removed in the runner's
 * process (an unchecked fixture), so it goes away even when a forked test
 * fails half way. */
#ifndef FACET_TESTS_TEST_TEMP_DIR_H
#define FACET_TESTS_TEST_TEMP_DIR_H

#include <limits.h>

/* The directory of the running test case. */
extern char test_temp_dir[PATH_MAX];

/* Makes $TMPDIR (else /tmp) / `name`-XXXXXX into test_temp_dir (mkdtemp's
 * template); fails the test when it cannot. */
void test_temp_dir_make(const char *name);

/* Removes the files in test_temp_dir (one level: the suites make no
 * subdirectories) and the directory itself. */
void test_temp_dir_remove(void);

#endif /* FACET_TESTS_TEST_TEMP_DIR_H */
