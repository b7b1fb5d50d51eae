/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Facet: a neural video codec for real-time video calls.
 *
 * Public API of libfacet. Shaped like dav1d and libopus:
 *  - opaque encoder and decoder contexts, opened from a settings struct that
 *    facet_*_default_settings() fills with documented defaults;
 *  - a send/receive loop with the EAGAIN pattern: a send call answers
 *    FACET_ERR(EAGAIN) while an output is waiting to be received, a receive
 *    call answers FACET_ERR(EAGAIN) when no output is ready;
 *  - every function that can fail returns 0 (or a count) on success and a
 *    negative errno value, FACET_ERR(e), on failure; facet_strerror() gives
 *    a message for it.
 *
 * Ownership rules, once for all functions:
 *  - Buffers passed *into* the library (pictures given to
 *    facet_encoder_send_frame(), packets given to facet_decoder_send_packet(),
 *    settings structs) stay owned by the caller. The library copies what it
 *    keeps before the call returns, so the caller may free or reuse them as
 *    soon as the call returns.
 *  - Buffers passed *out* of the library (packets from
 *    facet_encoder_receive_packet(), pictures from
 *    facet_decoder_receive_frame(), pictures from facet_picture_alloc()) are
 *    owned by the caller from then on and must be released with
 *    facet_packet_unref() / facet_picture_unref(). They stay valid after the
 *    encoder or decoder that produced them is closed.
 *
 * Thread safety: one context must not be used from two threads at once;
 * distinct contexts are independent.
 */
#ifndef FACET_FACET_H
#define FACET_FACET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FACET_BUILDING_LIBRARY) && defined(__GNUC__)
#define FACET_API __attribute__((visibility("default")))
#else
#define FACET_API
#endif

/* Library version. The major number changes when the API or ABI breaks. */
#define FACET_VERSION_MAJOR 0
#define FACET_VERSION_MINOR 2
#define FACET_VERSION_PATCH 0
#define FACET_VERSION_INT(maj, min, pat) (((maj) << 16) | ((min) << 8) | (pat))
#define FACET_VERSION \
    FACET_VERSION_INT(FACET_VERSION_MAJOR, FACET_VERSION_MINOR, FACET_VERSION_PATCH)

/* Errors are negative errno values, as in dav1d (DAV1D_ERR). */
#define FACET_ERR(e) (-(e))

/* Returns the version string of the library the program runs against,
 * e.g. "0.2.0". Static storage, never NULL. */
FACET_API const char *facet_version(void);

/* Returns the version of the running library as FACET_VERSION_INT(). */
FACET_API unsigned facet_version_int(void);

/* Path of the model `cmake --install` installs, the default of the
 * model_path settings. Static storage, never NULL. */
FACET_API const char *facet_default_model_path(void);

/* Path of the latent tier's model `cmake --install` installs, the default
 * of the latent_model_path settings. Static storage, never NULL. */
FACET_API const char *facet_default_latent_model_path(void);

/* Returns a static message for an error code returned by this library
 * (negative errno). Unknown codes get a generic message, never NULL. */
FACET_API const char *facet_strerror(int error);

/* ------------------------------------------------------------------------ */
/* Pictures                                                                 */

typedef enum FacetPixelFormat {
    FACET_PIXEL_FORMAT_I420 = 0, /* planar 8-bit Y, U, V; chroma (w+1)/2 x (h+1)/2 */
    FACET_PIXEL_FORMAT_RGB24 = 1, /* packed 8-bit R, G, B in one plane */
} FacetPixelFormat;

/* Largest picture side the codec accepts, in pixels. */
#define FACET_MAX_DIMENSION 8192

/* A picture. When it comes from the library (facet_picture_alloc(),
 * facet_decoder_receive_frame()) the planes live in one buffer owned by the
 * picture and released by facet_picture_unref(). A caller may also describe
 * its own memory in a FacetPicture to pass into facet_encoder_send_frame();
 * then `buffer` must be NULL and the caller keeps ownership. */
typedef struct FacetPicture {
    FacetPixelFormat format;
    int width;
    int height;
    uint8_t *data[3];     /* I420: Y, U, V. RGB24: data[0] only. */
    ptrdiff_t stride[3];  /* bytes between rows of each plane, > 0 */
    int64_t pts;          /* caller's timestamp, passed through untouched */
    void *buffer;         /* library-owned allocation, NULL for caller memory */
} FacetPicture;

/* Allocates a picture of the given format and size with tightly aligned
 * strides. On success the caller owns *picture and releases it with
 * facet_picture_unref(). Returns 0 or FACET_ERR(EINVAL) / FACET_ERR(ENOMEM). */
FACET_API int facet_picture_alloc(FacetPicture *picture, FacetPixelFormat format,
                                  int width, int height);

/* Releases a picture from the library and zeroes the struct. Safe on a
 * zeroed struct and on NULL. Does nothing to caller-owned memory. */
FACET_API void facet_picture_unref(FacetPicture *picture);

/* ------------------------------------------------------------------------ */
/* Packets                                                                  */

/* Packet flags. */
#define FACET_PACKET_FLAG_KEYFRAME 0x1u /* starts a new reference; decodable alone */

/* One coded frame. Packets from facet_encoder_receive_packet() own `data`
 * (released by facet_packet_unref()); packets the caller fills for
 * facet_decoder_send_packet() point at the caller's bytes. */
typedef struct FacetPacket {
    uint8_t *data;
    size_t size;
    int64_t pts;          /* caller's timestamp, passed through untouched */
    uint32_t frame_number;/* the frame's number (a short latent frame codes its low 8 bits) */
    uint32_t flags;       /* FACET_PACKET_FLAG_* */
} FacetPacket;

/* Releases a packet returned by the encoder and zeroes the struct. Safe on a
 * zeroed struct and on NULL. */
FACET_API void facet_packet_unref(FacetPacket *packet);

/* Largest packet the decoder accepts, in bytes. */
#define FACET_MAX_PACKET_SIZE (16u * 1024u * 1024u)

/* ------------------------------------------------------------------------ */
/* Reading a packet's headers without decoding it                           */

/* Packet types: the first byte of every packet (docs/bitstream.md). Later
 * bitstream versions add types with new values (3..255); a program that
 * meets a type it does not know treats the packet as one it cannot use. */
typedef enum FacetPacketType {
    FACET_PACKET_TYPE_KEYFRAME = 1, /* sequence header + intra picture: decodable alone */
    FACET_PACKET_TYPE_DELTA = 2,    /* keypoints coded against the keyframe it names */
    /* Latent tier (bitstream 1.1): */
    FACET_PACKET_TYPE_LATENT_KEYFRAME = 3, /* sequence header + low-resolution keyframe */
    FACET_PACKET_TYPE_LATENT_FRAME = 4,    /* one low-resolution inter frame */
    FACET_PACKET_TYPE_REFERENCE = 5,       /* one fragment of a reference picture at S */
    /* Bitstream 1.2: a latent frame whose frame_number and keyframe_id are
     * coded modulo 256 (FacetPacketInfo.frame_number_bits). */
    FACET_PACKET_TYPE_LATENT_FRAME_SHORT = 6,
} FacetPacketType;

/* How a stream codes its frames, from its sequence header. Version 1.0
 * derives it from model_id; a later version codes it in the header, and
 * adds values here. */
typedef enum FacetStreamMode {
    FACET_STREAM_MODE_INTRA_ONLY = 0, /* model_id 0: every frame is a keyframe */
    FACET_STREAM_MODE_KEYPOINTS = 1,  /* keyframes, then delta packets of keypoints */
    /* A low-resolution stream of a base codec upsampled by a network
     * guided by reference pictures (bitstream 1.1). */
    FACET_STREAM_MODE_LATENT = 2,
} FacetStreamMode;

/* Base codecs of the latent tier's low-resolution stream. */
typedef enum FacetBaseCodec {
    FACET_BASE_CODEC_AV1 = 1,
    FACET_BASE_CODEC_VP8 = 2, /* libvpx realtime; what every WebRTC endpoint carries */
} FacetBaseCodec;

/* What facet_packet_peek() reads from a packet's headers.
 *
 * The caller sets struct_size to sizeof(FacetPacketInfo) before the call
 * (as with libvpx's vpx_codec_stream_info_t.sz); the library writes no
 * byte at or beyond it. Members are only ever appended: a program built
 * against this header keeps working with a later library that reports
 * more (the parts of a reference spread over several packets, frames at
 * low resolution), and a program built against a later header works with
 * this library, which fills the members it knows and leaves the others as
 * the caller set them; initialise with
 *     FacetPacketInfo info = { .struct_size = sizeof(info) };
 * so that they read as zero. */
typedef struct FacetPacketInfo {
    size_t struct_size;     /* in: sizeof(FacetPacketInfo) */
    FacetPacketType type;
    uint32_t flags;         /* FACET_PACKET_FLAG_KEYFRAME: decodable alone, starts a new reference */
    uint32_t frame_number;  /* as coded: counts frames from 0, wraps at 2^32 */
    /* A keyframe's own id; a delta's: the keyframe it needs. Version 1
     * codes it in 16 bits. */
    uint32_t keyframe_id;
    /* 1 when the packet carries a sequence header (every keyframe does):
     * the members below are read from it. 0: they are zero. */
    int has_sequence_header;
    FacetStreamMode mode;
    uint32_t model_id;      /* 0: intra-only stream */
    int width;              /* picture size of the stream, 1..FACET_MAX_DIMENSION */
    int height;
    int fps_num;            /* 1..1000000 */
    int fps_den;
    int model_size;         /* network input side S; 0 without a model */
    int keypoint_count;     /* K; 0 without a model */
    int version_major;      /* bitstream version of the sequence header */
    int version_minor;
    /* Appended in 1.1 (the latent tier). Read from the sequence header: */
    int scale;              /* r: 2 or 4 in latent mode, else 0 */
    int base_codec;         /* FacetBaseCodec in latent mode, else 0 */
    /* A reference fragment (FACET_PACKET_TYPE_REFERENCE): its reference id
     * (also in keyframe_id), the fragment's index and the fragment count
     * (index < count <= 255), and the size of the whole intra picture. 0
     * for other packets. */
    uint32_t reference_id;
    int fragment_index;
    int fragment_count;
    uint32_t reference_size;
    /* Appended in 1.2. How many low bits of frame_number and keyframe_id
     * the packet codes: 8 and 8 in a short latent frame
     * (FACET_PACKET_TYPE_LATENT_FRAME_SHORT, which codes them modulo 256:
     * compare them modulo 256, or expand them against the last full
     * numbers seen), else 32 and 16 (the numbers are whole). 0 where the
     * library is older than 1.2 or the peek failed. */
    int frame_number_bits;
    int keyframe_id_bits;
} FacetPacketInfo;

/* Reads the headers of one whole packet (`size` bytes at `data`: what the
 * transport delimits) without decoding it: the packet type, the sequence
 * header of a keyframe, the frame number and the keyframe id. Each field
 * and length read is checked by the decoder's own parser against the
 * limits of docs/bitstream.md, so a header the decoder would refuse is
 * refused here with the same code. The payloads (intra picture, keypoints,
 * extension records) are not read: a packet that peeks may still fail to
 * decode. No state, no allocation; any thread. A short latent frame
 * (type 6) codes its numbers modulo 256: they are reported as coded, with
 * frame_number_bits = keyframe_id_bits = 8.
 *
 * Returns 0 and fills *info; FACET_ERR(EINVAL) for a NULL or empty packet,
 * a NULL info or a struct_size below sizeof(FacetPacketInfo) of version
 * 1.0 (up to version_minor; the 1.1 and 1.2 members are written only when
 * struct_size covers them); FACET_ERR(EBADMSG) for a malformed header, an unknown packet
 * type or a packet over FACET_MAX_PACKET_SIZE; FACET_ERR(ENOTSUP) for a
 * sequence header of a newer major version (then only `type`,
 * version_major and version_minor are filled: nothing after the version
 * can be read). On any other error *info is zeroed but for struct_size. */
FACET_API int facet_packet_peek(const uint8_t *data, size_t size, FacetPacketInfo *info);

/* The latent tier over a transport that carries its base stream as
 * standard video: VP8 through a WebRTC SFU (docs/multiparty.md). The
 * sender sends each latent keyframe's or frame's base codec unit as the
 * video and the stream header beside it (with the references); the
 * receiver wraps each unit back into the packet the decoder takes. */

/* Largest stream header: a sequence header of docs/bitstream.md. */
#define FACET_STREAM_HEADER_MAX_SIZE 1032

/* Copies the sequence header of a latent keyframe packet (type 3), as
 * docs/bitstream.md codes it, into `header` (FACET_STREAM_HEADER_MAX_SIZE
 * bytes) and its size into *header_size: opaque bytes for
 * facet_packet_wrap_base_unit(). Returns 0; FACET_ERR(EINVAL) for NULL
 * arguments or a packet of another type; the packet's parse error
 * (EBADMSG, ENOTSUP) for a malformed one. */
FACET_API int facet_packet_stream_header(const uint8_t *data, size_t size, uint8_t *header,
                                         size_t *header_size);

/* The base codec's unit (one AV1 temporal unit or VP8 frame) inside a
 * latent keyframe or frame packet (types 3, 4 and 6): *unit points into
 * `data`. Returns 0; FACET_ERR(EINVAL) for NULL arguments or another
 * packet type; the parse error for a malformed packet. */
FACET_API int facet_packet_base_unit(const uint8_t *data, size_t size, const uint8_t **unit,
                                     size_t *unit_size);

/* Builds a latent keyframe (keyframe != 0, with the stream header from
 * facet_packet_stream_header()) or latent frame (the header is ignored;
 * a short latent frame, type 6, which codes frame_number and keyframe_id
 * modulo 256) around one base codec unit, numbered frame_number in the
 * chain of latent keyframe keyframe_id (0..65535). The packet owns its data: release it
 * with facet_packet_unref(); pts is left 0. Returns 0; FACET_ERR(EINVAL)
 * for NULL or out-of-range arguments; FACET_ERR(EBADMSG) when the header is
 * not one whole latent stream header or the result would not parse;
 * FACET_ERR(ENOTSUP) for a header of a newer major version;
 * FACET_ERR(ENOMEM). The unit itself is not decoded here. */
FACET_API int facet_packet_wrap_base_unit(const uint8_t *stream_header, size_t header_size,
                                          int keyframe, uint32_t frame_number,
                                          uint32_t keyframe_id, const uint8_t *unit,
                                          size_t unit_size, FacetPacket *packet);

/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */

typedef enum FacetIntraCodec {
    FACET_INTRA_CODEC_AUTO = 0, /* AV1 when this FFmpeg has an AV1 encoder, else JPEG */
    FACET_INTRA_CODEC_AV1 = 1,
    FACET_INTRA_CODEC_JPEG = 2,
} FacetIntraCodec;

/* Latent tier: whether references are sent (FacetEncoderSettings.references). */
typedef enum FacetLatentReferences {
    /* Where they pay for their bits with the model in use. Measured with
     * the shipped model (docs/latent-tier.md, "When references pay"): at
     * no rate or size measured, 10-30 kbit/s at 256x256 and 512x512, so
     * AUTO sends none. A later model that pays changes this. */
    FACET_LATENT_REFERENCES_AUTO = 0,
    /* At the start, on request, on drift and every reference_interval. */
    FACET_LATENT_REFERENCES_ON = 1,
    /* None: the network upsamples every frame without one;
     * facet_encoder_request_reference() does nothing. */
    FACET_LATENT_REFERENCES_OFF = 2,
} FacetLatentReferences;

typedef struct FacetEncoderSettings {
    /* Picture size of every frame sent. Required: 1..FACET_MAX_DIMENSION.
     * Default 0 (unset: facet_encoder_open() answers EINVAL). */
    int width;
    int height;
    /* Frame rate as a fraction, written into the stream for receivers.
     * Both 1..1000000. Default 25/1. */
    int fps_num;
    int fps_den;
    /* Seconds between keyframes when a model is in use. > 0 and <= 3600.
     * Default 2.0. Without a model every frame is a keyframe. */
    double keyframe_interval;
    /* Quality of the intra-coded keyframe picture, 0 (smallest) to 100
     * (best). Default 60. */
    int keyframe_quality;
    /* Which conventional codec codes keyframe pictures. Default AUTO. */
    FacetIntraCodec intra_codec;
    /* Worker threads; 0 picks the number of CPUs. 0..64. Default 0. */
    int threads;
    /* Model file (safetensors, see docs/model.md) for keypoint mode.
     * NULL: the file named by the FACET_MODEL environment variable, else the
     * installed default model (facet_default_model_path()) when that file
     * exists, else intra-only. "": intra-only. Any other path must load,
     * or opening fails with FACET_ERR(ENOENT) / FACET_ERR(EBADMSG) and a
     * message naming the file. The string is copied. Default NULL. */
    const char *model_path;
    /* Receives a message for every error the library reports, with the
     * details an errno code cannot carry (which file, which tensor, which
     * model id). NULL: messages go to stderr. Default NULL. */
    void (*log_callback)(void *opaque, const char *message);
    void *log_opaque;
    /* Which tier codes the stream. FACET_STREAM_MODE_KEYPOINTS (default)
     * and FACET_STREAM_MODE_INTRA_ONLY: the keypoint tier, or intra-only,
     * as model_path says. FACET_STREAM_MODE_LATENT: the latent tier (a
     * low-resolution AV1 stream and rare references, docs/latent-tier.md);
     * width and height 32..4096; then intra_codec applies to the
     * references (and reference_quality, below), keyframe_interval,
     * keyframe_quality and model_path are not used. */
    FacetStreamMode mode;
    /* Latent tier: target rate in bit/s, references included,
     * FACET_LATENT_MIN_BITRATE..FACET_LATENT_MAX_BITRATE (others: opening
     * answers FACET_ERR(EINVAL) and says why). No 5 s carry more than
     * 10 % over it, no second more than about 1.5x; a picture too still
     * for the base codec to spend its share comes out under it (no
     * padding), and a picture size has a floor the base codec cannot go
     * below (docs/latent-tier.md, "Rate control", with the measurements).
     * Change it while encoding with facet_encoder_set_bitrate(). Default
     * 20000. */
    int bitrate;
    /* Latent tier: the low-resolution stream's scale r per side: 2, 4, or
     * 0 (auto: 2 from 10 kbit/s at 256x256 to 512x512, measured; smaller
     * and larger pictures scale that with their pixel count; else 4).
     * Default 0. */
    int scale;
    /* Latent tier: seconds between references when none is requested.
     * > 0 and <= 3600. Default 30. */
    double reference_interval;
    /* Latent tier: model file of the latent network (its id goes into the
     * stream). NULL: $FACET_LATENT_MODEL, else the installed default
     * (facet_default_latent_model_path()). The string is copied. Default
     * NULL. */
    const char *latent_model_path;
    /* Latent tier: the low-resolution stream's codec, FACET_BASE_CODEC_AV1
     * (default; libaom) or FACET_BASE_CODEC_VP8 (libvpx). Any other value:
     * FACET_ERR(EINVAL), said. */
    FacetBaseCodec base_codec;
    /* Latent tier: quality of the reference pictures, 0..100 as
     * keyframe_quality, or -1 (default): from the rate, the qualities the
     * network was trained on: 33 (AV1 crf 42) below
     * FACET_LATENT_FINE_REFERENCE_BITS_PER_PIXEL bits per second per pixel
     * (0.3: 19.7 kbit/s at 256x256), 49 (crf 32) from there. A reference
     * shares the rate with the stream while it is sent, so a finer one
     * costs the stream longer. */
    int reference_quality;
    /* Latent tier: whether references are sent at all (above). Any other
     * value: FACET_ERR(EINVAL). Default FACET_LATENT_REFERENCES_AUTO. */
    FacetLatentReferences references;
} FacetEncoderSettings;

#define FACET_LATENT_FINE_REFERENCE_BITS_PER_PIXEL 0.3

/* Bounds of FacetEncoderSettings.bitrate and facet_encoder_set_bitrate(). */
#define FACET_LATENT_MIN_BITRATE 1000
#define FACET_LATENT_MAX_BITRATE 100000000

typedef struct FacetEncoder FacetEncoder;

/* Fills *settings with the defaults documented above. */
FACET_API void facet_encoder_default_settings(FacetEncoderSettings *settings);

/* Opens an encoder. On success *encoder is a new context (close it with
 * facet_encoder_close()); on failure *encoder is NULL. Returns 0,
 * FACET_ERR(EINVAL) for bad settings, FACET_ERR(ENOSYS) when the intra
 * codec asked for is not in this FFmpeg, FACET_ERR(ENOMEM). */
FACET_API int facet_encoder_open(FacetEncoder **encoder,
                                 const FacetEncoderSettings *settings);

/* Sends one frame (the caller keeps ownership of `picture`). Its size must
 * be the size in the settings; format I420 or RGB24. Each frame yields
 * exactly one packet; in the latent tier one or two (the low-resolution
 * frame, then maybe a reference fragment): receive until EAGAIN. Returns 0, FACET_ERR(EAGAIN) while a packet waits in
 * facet_encoder_receive_packet(), FACET_ERR(EINVAL) for a bad picture,
 * FACET_ERR(ENOMEM), or FACET_ERR(EIO) when the intra codec failed (close
 * the encoder then). */
FACET_API int facet_encoder_send_frame(FacetEncoder *encoder,
                                       const FacetPicture *picture);

/* Receives the next packet into *packet (caller owns it afterwards; release
 * with facet_packet_unref()). Returns 0 or FACET_ERR(EAGAIN) when no packet
 * is ready (send another frame). */
FACET_API int facet_encoder_receive_packet(FacetEncoder *encoder, FacetPacket *packet);

/* Makes the next frame sent a keyframe (a receiver lost its reference).
 * Latent tier: a low-resolution keyframe (small; the answer to a broken
 * chain, FACET_ERR(EPIPE) at the decoder), not a new reference. */
FACET_API int facet_encoder_request_keyframe(FacetEncoder *encoder);

/* Latent tier: starts a new reference with the next frame (a receiver has
 * none, or the picture changed); its fragments follow over the next
 * frames; nothing when the encoder sends no references (settings'
 * `references`). Other modes: the same as facet_encoder_request_keyframe(). */
FACET_API int facet_encoder_request_reference(FacetEncoder *encoder);

/* Latent tier: a new target rate in bit/s
 * (FACET_LATENT_MIN_BITRATE..FACET_LATENT_MAX_BITRATE) for the frames sent
 * from now on, with no keyframe and no new reference: the rate control
 * takes it from the next frame, and the stream is at the new rate within
 * about a second (docs/latent-tier.md). The scale r chosen at open stays.
 * Returns 0, FACET_ERR(EINVAL) (NULL, or out of range: logged) or
 * FACET_ERR(ENOTSUP) in the other modes, which have no rate control. */
FACET_API int facet_encoder_set_bitrate(FacetEncoder *encoder, int bitrate);

/* Closes an encoder, frees everything it owns and sets *encoder to NULL.
 * Safe with NULL or *encoder == NULL. */
FACET_API void facet_encoder_close(FacetEncoder **encoder);

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */

/* Where the decoder's renderer runs (docs/vulkan.md). */
typedef enum FacetBackend {
    /* Vulkan on a GPU; the CPU kernels when the only Vulkan device is a CPU
     * implementation (lavapipe: far slower than the CPU kernels), when
     * there is none, or when this build has no Vulkan. A device named in
     * `device` or $FACET_VULKAN_DEVICE is used whatever its kind. A device
     * that fails (lost mid-stream, out of memory) falls back to the CPU,
     * logged. */
    FACET_BACKEND_AUTO = 0,
    /* The CPU kernels (AVX2 where the CPU has it). */
    FACET_BACKEND_CPU,
    /* Vulkan compute on the chosen device, whatever its kind; no fallback:
     * opening fails with FACET_ERR(ENODEV) where there is no device (or
     * this build has no Vulkan), and a device lost mid-stream fails every
     * later frame with FACET_ERR(ENODEV). */
    FACET_BACKEND_VULKAN,
} FacetBackend;

/* How the decoder turns a latent stream's low-resolution frames into
 * pictures at the stream size (FacetDecoderSettings.latent_upscale). */
typedef enum FacetLatentUpscale {
    /* The latent network, with the stream's references. */
    FACET_LATENT_UPSCALE_NETWORK = 0,
    /* libswscale's Lanczos (SWS_LANCZOS): the baseline the network must
     * beat, the same low-resolution stream as a WebRTC receiver would show
     * it. No model, network or renderer. */
    FACET_LATENT_UPSCALE_LANCZOS = 1,
} FacetLatentUpscale;

typedef struct FacetDecoderSettings {
    /* Format of the pictures facet_decoder_receive_frame() returns.
     * Default FACET_PIXEL_FORMAT_I420. */
    FacetPixelFormat output_format;
    /* Worker threads; 0 picks the number of CPUs. 0..64. Default 0. */
    int threads;
    /* Model file (safetensors, see docs/model.md) to render the delta
     * frames of streams coded with a model.
     * NULL: the file named by the FACET_MODEL environment variable, else the
     * installed default model (facet_default_model_path()) when that file
     * exists, else none; with none, a keyframe that names a model id looks
     * for the *.safetensors file of that model_id in each folder of
     * FACET_MODEL_PATH (colon-separated), the installed models folder and
     * the source tree's models/, and loads the first that matches (logged,
     * once per id). Without one keyframes decode, delta frames answer
     * FACET_ERR(ENOTSUP) (logged once). "": none, and no search. Any other
     * path must load, or opening fails with FACET_ERR(ENOENT) /
     * FACET_ERR(EBADMSG) and a message naming the file. The string is copied. Default NULL. */
    const char *model_path;
    /* Receives a message for every error the library reports, with the
     * details an errno code cannot carry (which file, which tensor, which
     * model id). NULL: messages go to stderr. Default NULL. */
    void (*log_callback)(void *opaque, const char *message);
    void *log_opaque;
    /* Renderer back end, of both tiers. The choice and the device are
     * logged once: at open (keypoint tier), at the first latent keyframe
     * (latent tier). Default FACET_BACKEND_AUTO. */
    FacetBackend backend;
    /* Vulkan device: a decimal index into the Vulkan device list or a
     * case-insensitive piece of the device name ("nvidia", "1"). NULL or "":
     * the FACET_VULKAN_DEVICE environment variable, else the best device
     * (discrete GPU, integrated, virtual, CPU). A name that matches no
     * device fails to open with FACET_ERR(ENODEV) in vulkan mode and falls
     * back to the CPU, logged, in auto. FACET_VULKAN_FP32=1 in the
     * environment keeps tensors in fp32 on devices with fp16 storage. Not
     * kept after open. Default NULL. */
    const char *device;
    /* Model file of the latent network, for latent streams. NULL:
     * $FACET_LATENT_MODEL, else the installed default when it exists, else
     * none (latent streams answer FACET_ERR(ENOTSUP)); "": none. Opened at
     * the first latent keyframe. The string is copied. Default NULL. */
    const char *latent_model_path;
    /* Latent streams only (keypoint and intra-only streams ignore it).
     * FACET_LATENT_UPSCALE_LANCZOS: the base stream decodes as always and
     * each low-resolution frame (work size / r) is scaled to the work size
     * with libswscale's Lanczos, converted to output_format with the
     * decoder's usual rounding, and cropped to the stream size as the
     * network's picture is. It needs no latent model: latent_model_path is
     * not opened, and a stream whose model is not installed still plays.
     * Reference fragments are taken (0) and not used. Any value other than
     * the two: facet_decoder_open() fails with FACET_ERR(EINVAL). Default
     * FACET_LATENT_UPSCALE_NETWORK. */
    FacetLatentUpscale latent_upscale;
} FacetDecoderSettings;

/* What the decoder learnt from the stream's sequence header. */
typedef struct FacetStreamInfo {
    int width;
    int height;
    int fps_num;
    int fps_den;
    uint32_t model_id;      /* 0: intra-only stream */
    int model_size;         /* network input side S; 0 without a model */
    int keypoint_count;     /* K; 0 without a model */
    int version_major;
    int version_minor;
    FacetStreamMode mode;
    int scale;              /* latent: r */
    int base_codec;         /* latent: FacetBaseCodec */
} FacetStreamInfo;

typedef struct FacetDecoder FacetDecoder;

/* Fills *settings with the defaults documented above. */
FACET_API void facet_decoder_default_settings(FacetDecoderSettings *settings);

/* Opens a decoder; *decoder is NULL on failure. Returns 0,
 * FACET_ERR(EINVAL) or FACET_ERR(ENOMEM). */
FACET_API int facet_decoder_open(FacetDecoder **decoder,
                                 const FacetDecoderSettings *settings);

/* Sends one whole packet (the caller keeps ownership of packet->data).
 * Returns 0 when the packet was decoded and a frame is ready (but for a
 * latent reference fragment: 0, taken, no frame: receive answers EAGAIN);
 * FACET_ERR(EAGAIN) while a frame waits in facet_decoder_receive_frame();
 * FACET_ERR(EINVAL) for bad arguments; FACET_ERR(EBADMSG) for a malformed
 * packet; FACET_ERR(ENOTSUP) for a newer major version or a feature this
 * build lacks; FACET_ERR(ENOENT) for a delta packet whose keyframe this
 * decoder never got (ask the sender for a keyframe); FACET_ERR(ENOSYS) when
 * this FFmpeg has no decoder for the stream's intra codec (or a latent
 * stream's base codec: VP8 is not supported yet). Latent tier:
 * FACET_ERR(EPIPE) for a low-resolution frame after a gap in the frame
 * numbers (a packet was lost: the chain of inter frames is broken) and for
 * every later one until the next low-resolution keyframe (ask the sender
 * with facet_encoder_request_keyframe(): RTCP PLI); FACET_ERR(EALREADY)
 * for a low-resolution frame older than the last one decoded (duplicated
 * or late: dropped, the chain is intact); FACET_ERR(ENOENT) for a frame or
 * reference fragment before any low-resolution keyframe. Before a whole
 * reference has arrived latent frames are rendered without one (never a
 * frozen or black picture); a new reference replaces the old only once
 * all its fragments arrived and it decoded. After an error the decoder
 * stays usable: the next keyframe resynchronises it. */
FACET_API int facet_decoder_send_packet(FacetDecoder *decoder, const FacetPacket *packet);

/* Receives the decoded frame into *picture (caller owns it afterwards;
 * release with facet_picture_unref()). Its pts is the packet's pts.
 * Returns 0 or FACET_ERR(EAGAIN) when no frame is ready. */
FACET_API int facet_decoder_receive_frame(FacetDecoder *decoder, FacetPicture *picture);

/* Copies the stream information seen so far. Returns 0, or
 * FACET_ERR(EAGAIN) before the first keyframe was decoded. */
FACET_API int facet_decoder_get_stream_info(const FacetDecoder *decoder,
                                            FacetStreamInfo *info);

/* The back end the renderer runs on now (FACET_BACKEND_CPU or
 * FACET_BACKEND_VULKAN, never AUTO: after a fallback, CPU) and a printable
 * name of the device ("cpu (avx2)", or the Vulkan device's name), valid
 * until the decoder is closed or next decodes a packet. Either output may
 * be NULL. Returns 0 or FACET_ERR(EINVAL). */
FACET_API int facet_decoder_get_backend(const FacetDecoder *decoder, FacetBackend *backend,
                                        const char **device_name);

/* Forgets the reference (as after a seek); the next packet must be a
 * keyframe. */
FACET_API int facet_decoder_flush(FacetDecoder *decoder);

/* Closes a decoder and sets *decoder to NULL. Safe with NULL. */
FACET_API void facet_decoder_close(FacetDecoder **decoder);

#ifdef __cplusplus
}
#endif

#endif /* FACET_FACET_H */
