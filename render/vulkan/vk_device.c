/* SPDX-License-Identifier: BSD-2-Clause */
/* Instance, physical device choice and logical device; see vk_device.h. */
#include "render/vulkan/vk_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mesa's lavapipe keeps an allocation of its own (128 bytes per instance)
 * past vkDestroyInstance, and the loader unloads the driver before
 * LeakSanitizer reports at exit, so a suppressions file cannot name it (the
 * frame shows as "<unknown module>"). In sanitizer builds what the driver
 * allocates inside vkEnumeratePhysicalDevices (where lavapipe sets up its
 * physical device) is therefore not leak-checked; nothing of ours is
 * allocated inside that call. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FACET_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FACET_LSAN 1
#endif
#ifdef FACET_LSAN
#include <sanitizer/lsan_interface.h>
#define DRIVER_ALLOCATIONS_BEGIN() __lsan_disable()
#define DRIVER_ALLOCATIONS_END() __lsan_enable()
#else
#define DRIVER_ALLOCATIONS_BEGIN() ((void)0)
#define DRIVER_ALLOCATIONS_END() ((void)0)
#endif

static void set_error(char *error, size_t size, const char *fmt, ...)
{
    if (!error || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
}

static const char *result_name(VkResult r)
{
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
    default: return "VkResult error";
    }
}

static int result_errno(VkResult r)
{
    switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_TOO_MANY_OBJECTS:
        return -ENOMEM;
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
        return -ENODEV;
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_LAYER_NOT_PRESENT:
        return -ENOTSUP;
    case VK_TIMEOUT:
        return -ETIMEDOUT;
    default:
        return -EIO;
    }
}

int facet_vk_fail(FacetVkDevice *dev, VkResult result, const char *what)
{
    /* A submission that does not finish in FACET_VK_TIMEOUT_NS leaves the
     * queue busy for good: the device is as good as lost. */
    if (result == VK_ERROR_DEVICE_LOST || result == VK_TIMEOUT)
        dev->lost = 1;
    set_error(dev->error, sizeof(dev->error), "%s: %s (%d)", what, result_name(result),
              (int)result);
    return result_errno(result);
}

int facet_vk_memory_type(const FacetVkDevice *dev, uint32_t type_bits,
                         VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred)
{
    int fallback = -1;
    for (uint32_t i = 0; i < dev->memory.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = dev->memory.memoryTypes[i].propertyFlags;
        if (!(type_bits & (1u << i)) || (f & required) != required)
            continue;
        if ((f & preferred) == preferred)
            return (int)i;
        if (fallback < 0)
            fallback = (int)i;
    }
    return fallback;
}

static FacetVkDeviceKind kind_of(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return FACET_VK_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return FACET_VK_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return FACET_VK_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return FACET_VK_DEVICE_CPU;
    default: return FACET_VK_DEVICE_OTHER;
    }
}

/* The first queue family with compute, or -1. A compute-only family is
 * preferred: on discrete GPUs it is the asynchronous compute engine. */
static int compute_family(VkPhysicalDevice pd, uint32_t *timestamp_bits)
{
    VkQueueFamilyProperties families[32];
    uint32_t count = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, families);
    int best = -1;
    for (uint32_t i = 0; i < count; i++) {
        VkQueueFlags f = families[i].queueFlags;
        if (!(f & VK_QUEUE_COMPUTE_BIT) || families[i].queueCount == 0)
            continue;
        if (best < 0 || !(f & VK_QUEUE_GRAPHICS_BIT)) {
            best = (int)i;
            *timestamp_bits = families[i].timestampValidBits;
        }
        if (!(f & VK_QUEUE_GRAPHICS_BIT))
            break;
    }
    return best;
}

static int contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++) {
        size_t i = 0;
        while (i < n && haystack[i] &&
               tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

static int is_index(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Workgroup size of the largest shaders (256 invocations along x): above
 * the 128 every device guarantees, below what every desktop and mobile GPU
 * offers. */
#define WORKGROUP_INVOCATIONS 256

static int usable(VkPhysicalDevice pd, uint32_t *timestamp_bits)
{
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(pd, &p);
    return p.apiVersion >= VK_API_VERSION_1_1 &&
           p.limits.maxComputeWorkGroupInvocations >= WORKGROUP_INVOCATIONS &&
           p.limits.maxComputeWorkGroupSize[0] >= WORKGROUP_INVOCATIONS &&
           compute_family(pd, timestamp_bits) >= 0;
}

/* Picks the physical device; 0 or -ENODEV with a message. */
static int choose_device(FacetVkDevice *dev, const char *selector, char *error,
                         size_t error_size)
{
    VkPhysicalDevice list[16];
    uint32_t count = 16;
    DRIVER_ALLOCATIONS_BEGIN();
    VkResult vr = vkEnumeratePhysicalDevices(dev->instance, &count, list);
    DRIVER_ALLOCATIONS_END();
    if (vr < 0) {
        set_error(error, error_size, "vkEnumeratePhysicalDevices: %s", result_name(vr));
        return -ENODEV;
    }
    if (count == 0) {
        set_error(error, error_size, "no Vulkan device (install a driver, e.g. mesa-vulkan-drivers)");
        return -ENODEV;
    }
    uint32_t bits = 0;
    int chosen = -1;
    if (selector && *selector) {
        for (uint32_t i = 0; i < count && chosen < 0; i++) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(list[i], &p);
            if (is_index(selector) ? strtoul(selector, NULL, 10) == i
                                   : contains_nocase(p.deviceName, selector))
                chosen = (int)i;
        }
        if (chosen < 0) {
            set_error(error, error_size, "no Vulkan device matches \"%s\" (%u device%s)",
                      selector, count, count == 1 ? "" : "s");
            return -ENODEV;
        }
        if (!usable(list[chosen], &bits)) {
            set_error(error, error_size, "Vulkan device \"%s\" lacks what the shaders need: "
                      "Vulkan 1.1, a compute queue and %d invocations per workgroup",
                      selector, WORKGROUP_INVOCATIONS);
            return -ENOTSUP;
        }
    } else {
        FacetVkDeviceKind best = FACET_VK_DEVICE_OTHER;
        for (uint32_t i = 0; i < count; i++) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(list[i], &p);
            FacetVkDeviceKind k = kind_of(p.deviceType);
            if (usable(list[i], &bits) && (chosen < 0 || k < best)) {
                chosen = (int)i;
                best = k;
            }
        }
        if (chosen < 0) {
            set_error(error, error_size, "no Vulkan device has what the shaders need: Vulkan "
                      "1.1, a compute queue and %d invocations per workgroup (%u device%s)",
                      WORKGROUP_INVOCATIONS, count, count == 1 ? "" : "s");
            return -ENODEV;
        }
    }
    dev->physical = list[chosen];
    vkGetPhysicalDeviceProperties(dev->physical, &dev->properties);
    vkGetPhysicalDeviceMemoryProperties(dev->physical, &dev->memory);
    dev->kind = kind_of(dev->properties.deviceType);
    dev->queue_family = (uint32_t)compute_family(dev->physical, &dev->timestamp_bits);
    return 0;
}

static int create_logical_device(FacetVkDevice *dev, int flags, char *error, size_t error_size)
{
    VkPhysicalDevice16BitStorageFeatures storage16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    };
    VkPhysicalDeviceFeatures2 features = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &storage16,
    };
    vkGetPhysicalDeviceFeatures2(dev->physical, &features);
    const char *force = getenv("FACET_VULKAN_FP32");
    int fp32 = (flags & FACET_VK_FORCE_FP32) || (force && strcmp(force, "1") == 0);
    dev->fp16 = !fp32 && storage16.storageBuffer16BitAccess;

    VkPhysicalDevice16BitStorageFeatures enable16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .storageBuffer16BitAccess = dev->fp16 ? VK_TRUE : VK_FALSE,
    };
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = dev->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &enable16,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue,
    };
    VkResult vr = vkCreateDevice(dev->physical, &info, NULL, &dev->device);
    if (vr != VK_SUCCESS) {
        int ret = facet_vk_fail(dev, vr, "vkCreateDevice");
        set_error(error, error_size, "%s on %s", dev->error, dev->properties.deviceName);
        return ret;
    }
    vkGetDeviceQueue(dev->device, dev->queue_family, 0, &dev->queue);

    VkCommandPoolCreateInfo pool = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = dev->queue_family,
    };
    if ((vr = vkCreateCommandPool(dev->device, &pool, NULL, &dev->command_pool)) != VK_SUCCESS)
        goto fail;

    /* One layout for every op (common.glsl): three storage buffers and the
     * 128 bytes of push constants. */
    VkDescriptorSetLayoutBinding bindings[FACET_VK_BINDINGS];
    for (int i = 0; i < FACET_VK_BINDINGS; i++)
        bindings[i] = (VkDescriptorSetLayoutBinding){
            .binding = (uint32_t)i,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    VkDescriptorSetLayoutCreateInfo set_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = FACET_VK_BINDINGS,
        .pBindings = bindings,
    };
    if ((vr = vkCreateDescriptorSetLayout(dev->device, &set_info, NULL, &dev->set_layout)) !=
        VK_SUCCESS)
        goto fail;
    VkPushConstantRange push = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .size = FACET_VK_PUSH_BYTES,
    };
    VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &dev->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &push,
    };
    if ((vr = vkCreatePipelineLayout(dev->device, &layout_info, NULL, &dev->pipeline_layout)) !=
        VK_SUCCESS)
        goto fail;
    return 0;

fail:;
    int ret = facet_vk_fail(dev, vr, "creating the compute context");
    set_error(error, error_size, "%s", dev->error);
    return ret;
}

int facet_vk_device_open(FacetVkDevice **out, const char *selector, int flags, char *error,
                         size_t error_size)
{
    set_error(error, error_size, "%s", "");
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!selector || !*selector)
        selector = getenv("FACET_VULKAN_DEVICE");
    FacetVkDevice *dev = calloc(1, sizeof(*dev));
    if (!dev) {
        set_error(error, error_size, "out of memory");
        return -ENOMEM;
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "libfacet",
        .pEngineName = "facet",
        .apiVersion = VK_API_VERSION_1_1,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
    };
    int ret;
    VkResult vr = vkCreateInstance(&info, NULL, &dev->instance);
    if (vr != VK_SUCCESS) {
        dev->instance = VK_NULL_HANDLE;
        ret = vr == VK_ERROR_OUT_OF_HOST_MEMORY ? -ENOMEM : -ENODEV;
        set_error(error, error_size, "cannot create a Vulkan instance: %s (no Vulkan driver?)",
                  result_name(vr));
        goto error;
    }
    if ((ret = choose_device(dev, selector, error, error_size)) < 0)
        goto error;
    int named = selector && *selector;
    if ((flags & FACET_VK_REQUIRE_GPU) && !named && dev->kind == FACET_VK_DEVICE_CPU) {
        set_error(error, error_size, "the Vulkan device, %s, is a CPU implementation",
                  dev->properties.deviceName);
        ret = -ENODEV;
        goto error;
    }
    if ((ret = create_logical_device(dev, flags, error, error_size)) < 0)
        goto error;
    *out = dev;
    return 0;

error:
    facet_vk_device_close(&dev);
    return ret;
}

void facet_vk_device_close(FacetVkDevice **pdev)
{
    if (!pdev || !*pdev)
        return;
    FacetVkDevice *dev = *pdev;
    if (dev->device) {
        if (!dev->lost) /* a hung device would never be idle */
            vkDeviceWaitIdle(dev->device);
        for (int i = 0; i < FACET_VK_SHADER_COUNT; i++) {
            if (dev->pipelines[i])
                vkDestroyPipeline(dev->device, dev->pipelines[i], NULL);
            if (dev->modules[i])
                vkDestroyShaderModule(dev->device, dev->modules[i], NULL);
        }
        if (dev->pipeline_layout)
            vkDestroyPipelineLayout(dev->device, dev->pipeline_layout, NULL);
        if (dev->set_layout)
            vkDestroyDescriptorSetLayout(dev->device, dev->set_layout, NULL);
        if (dev->command_pool)
            vkDestroyCommandPool(dev->device, dev->command_pool, NULL);
        vkDestroyDevice(dev->device, NULL);
    }
    if (dev->instance)
        vkDestroyInstance(dev->instance, NULL);
    free(dev);
    *pdev = NULL;
}

const char *facet_vk_device_name(const FacetVkDevice *dev)
{
    return dev ? dev->properties.deviceName : "";
}

FacetVkDeviceKind facet_vk_device_kind(const FacetVkDevice *dev)
{
    return dev ? dev->kind : FACET_VK_DEVICE_OTHER;
}

int facet_vk_device_fp16(const FacetVkDevice *dev)
{
    return dev ? dev->fp16 : 0;
}

int facet_vk_device_lost(const FacetVkDevice *dev)
{
    return dev ? dev->lost : 0;
}

const char *facet_vk_device_error(const FacetVkDevice *dev)
{
    return dev ? dev->error : "";
}
