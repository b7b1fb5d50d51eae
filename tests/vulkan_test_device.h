/* SPDX-License-Identifier: BSD-2-Clause */
/* What the Vulkan test suites share: the precisions they test and the
 * device for each, and the start of their main() (skip only when no Vulkan
 * device exists at all). */
#ifndef FACET_TESTS_VULKAN_TEST_DEVICE_H
#define FACET_TESTS_VULKAN_TEST_DEVICE_H

#include "render/vulkan/vk_device.h"

typedef struct Precision {
    const char *name;
    int flags;          /* facet_vk_device_open() flags: FACET_VK_FORCE_FP32 or 0 */
    double tolerance;   /* the suite's error limit for it */
} Precision;

/* The device for precision p, or NULL (with a message) when p is fp16 and
 * the device has no 16-bit storage: that precision is then not tested. A
 * device that does not open fails the test. */
FacetVkDevice *vulkan_test_open_device(const Precision *p);

/* Opens and closes the default device once and prints its name. Returns -1
 * when the suite should run, else the exit status for main(): 77 (skip,
 * with a message) when there is no Vulkan device at all, 1 when one exists
 * but does not open. */
int vulkan_test_check_device(void);

#endif /* FACET_TESTS_VULKAN_TEST_DEVICE_H */
