/* SPDX-License-Identifier: BSD-2-Clause */
#include "vulkan_test_device.h"

#include <errno.h>
#include <stdio.h>

#include <check.h>

FacetVkDevice *vulkan_test_open_device(const Precision *p)
{
    char error[512];
    FacetVkDevice *dev = NULL;
    int ret = facet_vk_device_open(&dev, NULL, p->flags, error, sizeof(error));
    ck_assert_msg(ret == 0, "cannot open the Vulkan device: %s", error);
    if (p->flags == 0 && !facet_vk_device_fp16(dev)) {
        printf("  %s has no 16-bit storage: fp16 not tested\n", facet_vk_device_name(dev));
        facet_vk_device_close(&dev);
    }
    return dev;
}

int vulkan_test_check_device(void)
{
    char error[512];
    FacetVkDevice *dev = NULL;
    int ret = facet_vk_device_open(&dev, NULL, 0, error, sizeof(error));
    if (ret == -ENODEV) {
        printf("SKIP: no Vulkan device: %s\n", error);
        return 77;
    }
    if (ret < 0) {
        printf("cannot open the Vulkan device: %s\n", error);
        return 1;
    }
    printf("Vulkan device: %s (fp16 storage: %s)\n", facet_vk_device_name(dev),
           facet_vk_device_fp16(dev) ? "yes" : "no");
    facet_vk_device_close(&dev);
    return -1;
}
