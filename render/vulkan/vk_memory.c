/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffers, their memory and the shared descriptor set; see vk_memory.h. */
#include "render/vulkan/vk_memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "render/vulkan/vk_internal.h"

struct FacetVkMemory {
    FacetVkDevice *dev;
    VkBuffer buffers[FACET_VK_SPACES];
    VkDeviceMemory memory[FACET_VK_SPACES];
    VkDeviceSize bytes[FACET_VK_SPACES];
    float *host;
    VkDescriptorPool pool;
    VkDescriptorSet set;
};

uint32_t facet_vk_take(FacetVkLayout *layout, FacetVkSpace space, size_t count)
{
    size_t offset = layout->used[space];
    layout->used[space] += (count + FACET_VK_ALIGN - 1) / FACET_VK_ALIGN * FACET_VK_ALIGN;
    if (layout->peak[space] < layout->used[space])
        layout->peak[space] = layout->used[space];
    /* Overflow of the 32-bit offset is caught by memory creation, which
     * refuses any buffer over maxStorageBufferRange (< 4 GiB). */
    return (uint32_t)offset;
}

static int create_buffer(FacetVkMemory *m, FacetVkSpace space, size_t elements)
{
    FacetVkDevice *dev = m->dev;
    size_t element = space == FACET_VK_DATA && dev->fp16 ? 2 : 4;
    if (elements == 0)
        elements = 1;
    uint64_t bytes = (uint64_t)elements * element;
    if (elements > UINT32_MAX / 4 || bytes > dev->properties.limits.maxStorageBufferRange) {
        snprintf(dev->error, sizeof(dev->error),
                 "a buffer of %.1f MiB is larger than this device's storage buffer range "
                 "(%.1f MiB): use a smaller size",
                 (double)bytes / 1048576.0,
                 (double)dev->properties.limits.maxStorageBufferRange / 1048576.0);
        return -ENOMEM;
    }
    m->bytes[space] = bytes;
    VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = bytes,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult vr = vkCreateBuffer(dev->device, &info, NULL, &m->buffers[space]);
    if (vr != VK_SUCCESS) {
        m->buffers[space] = VK_NULL_HANDLE;
        return facet_vk_fail(dev, vr, "vkCreateBuffer");
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev->device, m->buffers[space], &req);
    int type;
    if (space == FACET_VK_HOST)
        type = facet_vk_memory_type(dev, req.memoryTypeBits,
                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                        VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                    VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    else
        type = facet_vk_memory_type(dev, req.memoryTypeBits, 0,
                                    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0) {
        snprintf(dev->error, sizeof(dev->error), "no suitable memory type for a %s buffer",
                 space == FACET_VK_HOST ? "host-visible" : "device");
        return -ENOMEM;
    }
    VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = (uint32_t)type,
    };
    if ((vr = vkAllocateMemory(dev->device, &alloc, NULL, &m->memory[space])) != VK_SUCCESS) {
        m->memory[space] = VK_NULL_HANDLE;
        return facet_vk_fail(dev, vr, "vkAllocateMemory");
    }
    if ((vr = vkBindBufferMemory(dev->device, m->buffers[space], m->memory[space], 0)) !=
        VK_SUCCESS)
        return facet_vk_fail(dev, vr, "vkBindBufferMemory");
    if (space == FACET_VK_HOST) {
        void *p;
        if ((vr = vkMapMemory(dev->device, m->memory[space], 0, VK_WHOLE_SIZE, 0, &p)) !=
            VK_SUCCESS)
            return facet_vk_fail(dev, vr, "vkMapMemory");
        m->host = p;
    }
    return 0;
}

static int create_set(FacetVkMemory *m)
{
    FacetVkDevice *dev = m->dev;
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, FACET_VK_BINDINGS};
    VkDescriptorPoolCreateInfo pool = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = 1,
        .poolSizeCount = 1,
        .pPoolSizes = &size,
    };
    VkResult vr = vkCreateDescriptorPool(dev->device, &pool, NULL, &m->pool);
    if (vr != VK_SUCCESS) {
        m->pool = VK_NULL_HANDLE;
        return facet_vk_fail(dev, vr, "vkCreateDescriptorPool");
    }
    VkDescriptorSetAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = m->pool,
        .descriptorSetCount = 1,
        .pSetLayouts = &dev->set_layout,
    };
    if ((vr = vkAllocateDescriptorSets(dev->device, &alloc, &m->set)) != VK_SUCCESS)
        return facet_vk_fail(dev, vr, "vkAllocateDescriptorSets");
    VkDescriptorBufferInfo infos[FACET_VK_SPACES];
    VkWriteDescriptorSet writes[FACET_VK_SPACES];
    for (int s = 0; s < FACET_VK_SPACES; s++) {
        infos[s] = (VkDescriptorBufferInfo){m->buffers[s], 0, VK_WHOLE_SIZE};
        writes[s] = (VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = m->set,
            .dstBinding = (uint32_t)s, /* binding index == space (common.glsl) */
            .descriptorCount = 1,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .pBufferInfo = &infos[s],
        };
    }
    vkUpdateDescriptorSets(dev->device, FACET_VK_SPACES, writes, 0, NULL);
    return 0;
}

int facet_vk_memory_create(FacetVkMemory **out, FacetVkDevice *dev, const FacetVkLayout *layout)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!dev || !layout)
        return -EINVAL;
    if (dev->lost)
        return -EIO;
    FacetVkMemory *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->dev = dev;
    int ret;
    for (int s = 0; s < FACET_VK_SPACES; s++)
        if ((ret = create_buffer(m, (FacetVkSpace)s,
                                 layout->peak[s] > layout->used[s] ? layout->peak[s]
                                                                   : layout->used[s])) < 0)
            goto error;
    if ((ret = create_set(m)) < 0)
        goto error;
    *out = m;
    return 0;

error:
    facet_vk_memory_destroy(&m);
    return ret;
}

void facet_vk_memory_destroy(FacetVkMemory **pm)
{
    if (!pm || !*pm)
        return;
    FacetVkMemory *m = *pm;
    VkDevice d = m->dev->device;
    if (!m->dev->lost) /* a hung device would never be idle */
        vkDeviceWaitIdle(d);
    if (m->pool)
        vkDestroyDescriptorPool(d, m->pool, NULL);
    for (int s = 0; s < FACET_VK_SPACES; s++) {
        if (m->buffers[s])
            vkDestroyBuffer(d, m->buffers[s], NULL);
        if (m->memory[s])
            vkFreeMemory(d, m->memory[s], NULL); /* unmaps the host buffer */
    }
    free(m);
    *pm = NULL;
}

float *facet_vk_memory_host(FacetVkMemory *mem)
{
    return mem ? mem->host : NULL;
}

FacetVkDevice *facet_vk_memory_device(FacetVkMemory *mem)
{
    return mem ? mem->dev : NULL;
}

VkDescriptorSet facet_vk_memory_set(const FacetVkMemory *mem)
{
    return mem->set;
}

VkBuffer facet_vk_memory_buffer(const FacetVkMemory *mem, FacetVkSpace space)
{
    return mem->buffers[space];
}
