/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intra payload inspection: reads the picture size an AV1 or JPEG payload
 * declares, checking its structure, without decoding it. The decoder uses it
 * to refuse a payload of the wrong size before libavcodec allocates anything.
 */
#include <stdint.h>
#include <string.h>

#include "codec/intra.h"

/* ------------------------------------------------------------------------ */
/* AV1 payload inspection                                                   */

enum {
    OBU_SEQUENCE_HEADER = 1,
    OBU_FRAME_HEADER = 3,
    OBU_FRAME = 6,
};

typedef struct BitReader {
    const uint8_t *data;
    size_t size_bits;
    size_t pos;
    int overread;
} BitReader;

static uint32_t read_bits(BitReader *br, int count)
{
    uint32_t value = 0;
    for (int i = 0; i < count; i++) {
        if (br->pos >= br->size_bits) {
            br->overread = 1;
            return 0;
        }
        value = (value << 1) | ((br->data[br->pos >> 3] >> (7 - (br->pos & 7))) & 1u);
        br->pos++;
    }
    return value;
}

/* AV1 spec 4.10.3 uvlc(); only skipped here. */
static void skip_uvlc(BitReader *br)
{
    int leading_zeros = 0;
    while (!br->overread && !read_bits(br, 1))
        leading_zeros++;
    if (leading_zeros < 32)
        read_bits(br, leading_zeros);
}

typedef struct Av1SequenceInfo {
    int profile;
    int max_width;
    int max_height;
} Av1SequenceInfo;

/* Parses a sequence header OBU payload (AV1 spec 5.5.1) as far as the
 * maximum frame size. */
static int av1_parse_sequence_header(const uint8_t *data, size_t size, Av1SequenceInfo *info)
{
    BitReader br = { data, size * 8, 0, 0 };
    info->profile = (int)read_bits(&br, 3);
    read_bits(&br, 1); /* still_picture */
    if (read_bits(&br, 1)) { /* reduced_still_picture_header */
        read_bits(&br, 5); /* seq_level_idx[0] */
    } else {
        int decoder_model_info_present = 0, buffer_delay_length = 0;
        if (read_bits(&br, 1)) { /* timing_info_present_flag */
            read_bits(&br, 32); /* num_units_in_display_tick */
            read_bits(&br, 32); /* time_scale */
            if (read_bits(&br, 1)) /* equal_picture_interval */
                skip_uvlc(&br);
            decoder_model_info_present = (int)read_bits(&br, 1);
            if (decoder_model_info_present) {
                buffer_delay_length = (int)read_bits(&br, 5) + 1;
                read_bits(&br, 32); /* num_units_in_decoding_tick */
                read_bits(&br, 5);  /* buffer_removal_time_length_minus_1 */
                read_bits(&br, 5);  /* frame_presentation_time_length_minus_1 */
            }
        }
        int initial_display_delay_present = (int)read_bits(&br, 1);
        int operating_points = (int)read_bits(&br, 5) + 1;
        for (int i = 0; i < operating_points && !br.overread; i++) {
            read_bits(&br, 12); /* operating_point_idc */
            if (read_bits(&br, 5) > 7) /* seq_level_idx */
                read_bits(&br, 1); /* seq_tier */
            if (decoder_model_info_present && read_bits(&br, 1)) {
                read_bits(&br, buffer_delay_length); /* decoder_buffer_delay */
                read_bits(&br, buffer_delay_length); /* encoder_buffer_delay */
                read_bits(&br, 1);                   /* low_delay_mode_flag */
            }
            if (initial_display_delay_present && read_bits(&br, 1))
                read_bits(&br, 4); /* initial_display_delay_minus_1 */
        }
    }
    int width_bits = (int)read_bits(&br, 4) + 1;
    int height_bits = (int)read_bits(&br, 4) + 1;
    uint32_t max_width = read_bits(&br, width_bits) + 1u;
    uint32_t max_height = read_bits(&br, height_bits) + 1u;
    if (br.overread)
        return FACET_ERR(EBADMSG);
    info->max_width = (int)max_width; /* at most 2^16 */
    info->max_height = (int)max_height;
    return 0;
}

typedef struct Av1PayloadInfo {
    int has_sequence_header;  /* a sequence header comes before the first frame */
    Av1SequenceInfo sequence; /* from the first sequence header */
    int frames;               /* frame and frame header OBUs */
} Av1PayloadInfo;

/* Walks the OBUs of a low-overhead AV1 payload (AV1 spec 5.3); every OBU must
 * lie inside the payload and all sequence headers must agree. */
static int av1_inspect(const uint8_t *data, size_t size, Av1PayloadInfo *info)
{
    memset(info, 0, sizeof(*info));
    size_t pos = 0;
    while (pos < size) {
        uint8_t header = data[pos++];
        if (header & 0x80) /* obu_forbidden_bit */
            return FACET_ERR(EBADMSG);
        int type = (header >> 3) & 15;
        int has_extension = (header >> 2) & 1;
        int has_size = (header >> 1) & 1;
        if (has_extension) {
            if (pos >= size)
                return FACET_ERR(EBADMSG);
            pos++;
        }
        uint64_t obu_size = size - pos;
        if (has_size) {
            obu_size = 0;
            int i;
            for (i = 0; i < 8; i++) { /* leb128() */
                if (pos >= size)
                    return FACET_ERR(EBADMSG);
                uint8_t byte = data[pos++];
                obu_size |= (uint64_t)(byte & 0x7f) << (7 * i);
                if (!(byte & 0x80))
                    break;
            }
            if (i == 8 || obu_size > size - pos)
                return FACET_ERR(EBADMSG);
        }
        const uint8_t *payload = data + pos;
        pos += (size_t)obu_size;

        if (type == OBU_SEQUENCE_HEADER) {
            Av1SequenceInfo sequence;
            int ret = av1_parse_sequence_header(payload, (size_t)obu_size, &sequence);
            if (ret < 0)
                return ret;
            if (!info->has_sequence_header && !info->frames) {
                info->sequence = sequence;
                info->has_sequence_header = 1;
            } else if (info->has_sequence_header &&
                       (sequence.max_width != info->sequence.max_width ||
                        sequence.max_height != info->sequence.max_height ||
                        sequence.profile != info->sequence.profile)) {
                return FACET_ERR(EBADMSG);
            }
        } else if (type == OBU_FRAME || type == OBU_FRAME_HEADER) {
            info->frames++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JPEG payload inspection                                                  */

/* Walks the markers of a JPEG (ITU-T T.81 B.2) and reads the size in its
 * frame header. The payload must be one image: SOI first, one frame header
 * (baseline, extended or progressive Huffman, 8-bit) before the first scan,
 * at least one scan, and EOI as its last two bytes. */
static int jpeg_inspect(const uint8_t *data, size_t size, int *width, int *height)
{
    if (size < 4 || data[0] != 0xff || data[1] != 0xd8)
        return FACET_ERR(EBADMSG);
    int frames = 0, scans = 0;
    size_t pos = 2;
    for (;;) {
        if (pos >= size || data[pos] != 0xff)
            return FACET_ERR(EBADMSG);
        while (pos < size && data[pos] == 0xff) /* fill bytes */
            pos++;
        if (pos >= size)
            return FACET_ERR(EBADMSG);
        uint8_t marker = data[pos++];
        if (marker == 0xd9) /* EOI */
            return pos == size && frames == 1 && scans > 0 ? 0 : FACET_ERR(EBADMSG);
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))
            return FACET_ERR(EBADMSG); /* no RSTn, TEM or SOI between segments */
        if (size - pos < 2)
            return FACET_ERR(EBADMSG);
        size_t length = (size_t)data[pos] << 8 | data[pos + 1];
        if (length < 2 || length > size - pos)
            return FACET_ERR(EBADMSG);
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
            marker != 0xcc) {
            /* SOFn: Lf(2) P(1) Y(2) X(2) Nf(1) ... */
            if (marker > 0xc2 || frames || scans || length < 8 || data[pos + 2] != 8)
                return FACET_ERR(EBADMSG);
            *height = data[pos + 3] << 8 | data[pos + 4];
            *width = data[pos + 5] << 8 | data[pos + 6];
            /* Y = 0 defers the height to a DNL marker, which we never write. */
            if (*width == 0 || *height == 0)
                return FACET_ERR(EBADMSG);
            frames++;
        }
        pos += length;
        if (marker == 0xda) { /* SOS: entropy-coded data up to the next marker */
            if (!frames)
                return FACET_ERR(EBADMSG);
            scans++;
            while (pos + 1 < size && (data[pos] != 0xff || data[pos + 1] == 0x00 ||
                                      (data[pos + 1] >= 0xd0 && data[pos + 1] <= 0xd7) ||
                                      data[pos + 1] == 0xff))
                pos++;
            if (pos + 1 >= size)
                return FACET_ERR(EBADMSG);
        }
    }
}

int facet_intra_payload_size(FacetIntraCodec codec, const uint8_t *data, size_t size,
                             int *width, int *height)
{
    if (!data || !width || !height)
        return FACET_ERR(EINVAL);
    *width = *height = 0;
    switch (codec) {
    case FACET_INTRA_CODEC_AV1: {
        Av1PayloadInfo info;
        int ret = av1_inspect(data, size, &info);
        if (ret < 0)
            return ret;
        /* Main profile (8/10-bit 4:2:0) is all we write; 4:4:4 and 4:2:2
         * need profiles 1 and 2. */
        if (!info.has_sequence_header || !info.frames || info.sequence.profile != 0)
            return FACET_ERR(EBADMSG);
        *width = info.sequence.max_width;
        *height = info.sequence.max_height;
        return 0;
    }
    case FACET_INTRA_CODEC_JPEG: {
        int ret = jpeg_inspect(data, size, width, height);
        if (ret < 0)
            *width = *height = 0;
        return ret;
    }
    default:
        return FACET_ERR(EINVAL);
    }
}
