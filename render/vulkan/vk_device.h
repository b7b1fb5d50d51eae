/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Vulkan device layer of the renderer back end (internal to libfacet):
 * an instance, one physical device, a logical device with one compute
 * queue, and the pipelines of the compute shaders, created on first use and
 * cached. docs/vulkan.md has the design.
 *
 * Device choice: a discrete GPU first, then integrated, virtual, and a CPU
 * implementation (lavapipe) last; among equals the first enumerated. A
 * selector (the argument, else $FACET_VULKAN_DEVICE) overrides it: a
 * decimal index into vkEnumeratePhysicalDevices' list, or a case-insensitive
 * substring of the device name. Precision: fp16 storage when the device has
 * storageBuffer16BitAccess, fp32 otherwise, or always fp32 with
 * FACET_VK_FORCE_FP32 or $FACET_VULKAN_FP32=1.
 *
 * Errors are negative errno codes with a message (never an abort):
 *   -ENODEV    no Vulkan driver, no device, or the selector matches none
 *   -ENOTSUP   the chosen device lacks what the shaders need
 *   -ENOMEM    out of host or device memory
 *   -EIO       the device was lost (every later call fails the same way)
 *   -ETIMEDOUT a submission did not finish in FACET_VK_TIMEOUT_NS (the
 *              device then counts as lost)
 * A device is used from one thread at a time.
 */
#ifndef FACET_RENDER_VULKAN_VK_DEVICE_H
#define FACET_RENDER_VULKAN_VK_DEVICE_H

#include <stddef.h>

typedef struct FacetVkDevice FacetVkDevice;

/* facet_vk_device_open() flags. */
enum {
    FACET_VK_FORCE_FP32 = 1 << 0,
    /* Fail with -ENODEV when the chosen device is a CPU implementation
     * (lavapipe), before the logical device is made: what the decoder's
     * auto mode asks, cheaply. A device named by the selector (or
     * $FACET_VULKAN_DEVICE) is taken whatever its kind: naming lavapipe is
     * asking for it. */
    FACET_VK_REQUIRE_GPU = 1 << 1,
};

typedef enum FacetVkDeviceKind {
    FACET_VK_DEVICE_DISCRETE = 0,
    FACET_VK_DEVICE_INTEGRATED,
    FACET_VK_DEVICE_VIRTUAL,
    FACET_VK_DEVICE_CPU,
    FACET_VK_DEVICE_OTHER,
} FacetVkDeviceKind;

/* Opens the device `selector` names (NULL or "": $FACET_VULKAN_DEVICE, else
 * the best). 0 and *out set, or a negative errno (above) with a message in
 * error[0..error_size) (may be NULL) and *out = NULL. */
int facet_vk_device_open(FacetVkDevice **out, const char *selector, int flags, char *error,
                         size_t error_size);

/* Waits for the device to be idle and frees everything; NULL-safe, sets
 * *dev = NULL. */
void facet_vk_device_close(FacetVkDevice **dev);

/* The device's name as the driver reports it ("llvmpipe (LLVM 15.0.6, 256
 * bits)", "NVIDIA H100 80GB HBM3"). */
const char *facet_vk_device_name(const FacetVkDevice *dev);
FacetVkDeviceKind facet_vk_device_kind(const FacetVkDevice *dev);
/* 1 when the shaders store tensors in fp16. */
int facet_vk_device_fp16(const FacetVkDevice *dev);
/* 1 once the device has been lost. */
int facet_vk_device_lost(const FacetVkDevice *dev);
/* The message of the last failure on this device ("" if none). */
const char *facet_vk_device_error(const FacetVkDevice *dev);

/* How long a submission may run before it counts as a hang. */
#define FACET_VK_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)

#endif /* FACET_RENDER_VULKAN_VK_DEVICE_H */
