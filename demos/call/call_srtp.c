/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's SRTP (call_srtp.h). */
#include "call_srtp.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#define CALL_SRTP_ERROR (g_quark_from_static_string("facet-call-srtp"))

/* A key file holds a few dozen hex digits; anything much longer is not
 * one. */
#define KEY_FILE_MAX_BYTES 4096

/* Master key + master salt of each cipher (RFC 3711 section 8.2, RFC 7714
 * section 12): libsrtp takes them as one buffer. */
#define GCM_KEY_SALT_BYTES (16 + 12)
#define CM_KEY_SALT_BYTES (16 + 14)

gboolean call_srtp_cipher_from_name(const gchar *name, CallCipher *cipher)
{
    if (!g_strcmp0(name, "aes-128-gcm"))
        *cipher = CALL_CIPHER_AES_128_GCM;
    else if (!g_strcmp0(name, "aes-128-cm-hmac-sha1-80"))
        *cipher = CALL_CIPHER_AES_128_CM_HMAC_SHA1_80;
    else
        return FALSE;
    return TRUE;
}

const gchar *call_srtp_cipher_name(CallCipher cipher)
{
    return cipher == CALL_CIPHER_AES_128_GCM ? "aes-128-gcm" : "aes-128-cm-hmac-sha1-80";
}

GBytes *call_srtp_key_from_hex(const gchar *text, const gchar *what, GError **error)
{
    GByteArray *key = g_byte_array_new();
    gint high = -1;

    for (const gchar *p = text; *p; p++) {
        gint digit;
        if (g_ascii_isspace(*p))
            continue;
        digit = g_ascii_xdigit_value(*p);
        if (digit < 0) {
            g_set_error(error, CALL_SRTP_ERROR, 1, "%s: the key is not hexadecimal (found '%c')",
                        what, g_ascii_isprint(*p) ? *p : '?');
            goto fail;
        }
        if (high < 0) {
            high = digit;
        } else {
            guint8 byte = (guint8)(high << 4 | digit);
            g_byte_array_append(key, &byte, 1);
            high = -1;
        }
        if (key->len > CALL_KEY_MAX_BYTES)
            break;
    }
    if (high >= 0 || key->len < CALL_KEY_MIN_BYTES || key->len > CALL_KEY_MAX_BYTES) {
        g_set_error(error, CALL_SRTP_ERROR, 1,
                    "%s: the key must be %d to %d bytes as hex digits (%d to %d digits; make "
                    "one with `openssl rand -hex 32`)", what, CALL_KEY_MIN_BYTES,
                    CALL_KEY_MAX_BYTES, 2 * CALL_KEY_MIN_BYTES, 2 * CALL_KEY_MAX_BYTES);
        goto fail;
    }
    return g_byte_array_free_to_bytes(key);

fail:
    /* Wipe what was read: it may be most of a real key. */
    if (key->len)
        memset(key->data, 0, key->len);
    g_byte_array_unref(key);
    return NULL;
}

GBytes *call_srtp_key_from_file(const gchar *path, GError **error)
{
    gchar *text = NULL;
    gsize length = 0;
    GStatBuf st;
    GBytes *key;

    if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, CALL_SRTP_ERROR, 1, "--key: '%s' is not a readable file", path);
        return NULL;
    }
    if (st.st_size > KEY_FILE_MAX_BYTES) {
        g_set_error(error, CALL_SRTP_ERROR, 1, "--key: '%s' is too long to be a key file", path);
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &length, error))
        return NULL;
    if (strlen(text) != length) {
        g_set_error(error, CALL_SRTP_ERROR, 1, "--key: '%s' is not a text file", path);
        key = NULL;
    } else {
        key = call_srtp_key_from_hex(text, path, error);
    }
    memset(text, 0, length);
    g_free(text);
    if (key && (st.st_mode & (S_IRWXG | S_IRWXO)))
        g_printerr("facet-call: warning: the key file '%s' is readable by others "
                   "(chmod 600 it)\n", path);
    return key;
}

/* HMAC-SHA256(master, label), cut to `length` bytes (at most 32). */
static GBytes *derive(GBytes *master, const gchar *label, gsize length)
{
    gsize master_size, digest_size = 32;
    const guint8 *data = g_bytes_get_data(master, &master_size);
    GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, data, master_size);
    guint8 digest[32];

    g_hmac_update(hmac, (const guchar *)label, (gssize)strlen(label));
    g_hmac_get_digest(hmac, digest, &digest_size);
    g_hmac_unref(hmac);
    g_assert(length <= digest_size);
    GBytes *key = g_bytes_new(digest, length);
    memset(digest, 0, sizeof(digest));
    return key;
}

void call_srtp_init(CallSrtp *srtp, GBytes *master, CallCipher cipher, gboolean listener)
{
    gsize length = cipher == CALL_CIPHER_AES_128_GCM ? GCM_KEY_SALT_BYTES : CM_KEY_SALT_BYTES;
    GBytes *from_listener = derive(master, "facet-call srtp listener to caller", length);
    GBytes *from_caller = derive(master, "facet-call srtp caller to listener", length);

    memset(srtp, 0, sizeof(*srtp));
    srtp->cipher = cipher;
    srtp->send_key = listener ? from_listener : from_caller;
    srtp->receive_key = listener ? from_caller : from_listener;
}

static const gchar *auth_name(CallCipher cipher)
{
    /* GCM authenticates by itself; srtpenc wants "null" auth with it. */
    return cipher == CALL_CIPHER_AES_128_GCM ? "null" : "hmac-sha1-80";
}

static const gchar *cipher_nick(CallCipher cipher)
{
    return cipher == CALL_CIPHER_AES_128_GCM ? "aes-128-gcm" : "aes-128-icm";
}

static GstBuffer *key_buffer(GBytes *key)
{
    gsize size;
    const guint8 *data = g_bytes_get_data(key, &size);
    return gst_buffer_new_memdup(data, size);
}

GstCaps *call_srtp_caps(const CallSrtp *srtp, GBytes *key)
{
    GstBuffer *buffer = key_buffer(key);
    GstCaps *caps = gst_caps_new_simple("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, buffer,
                                        "srtp-cipher", G_TYPE_STRING, cipher_nick(srtp->cipher),
                                        "srtp-auth", G_TYPE_STRING, auth_name(srtp->cipher),
                                        "srtcp-cipher", G_TYPE_STRING, cipher_nick(srtp->cipher),
                                        "srtcp-auth", G_TYPE_STRING, auth_name(srtp->cipher),
                                        NULL);
    gst_buffer_unref(buffer);
    return caps;
}

static GstElement *make(const gchar *factory, const gchar *name, GError **error)
{
    GstElement *element = gst_element_factory_make(factory, name);
    if (!element)
        g_set_error(error, CALL_SRTP_ERROR, 1,
                    "the GStreamer element '%s' is missing: install gst-plugins-bad "
                    "(Debian: gstreamer1.0-plugins-bad), or call with --key none to send "
                    "the media in the clear", factory);
    return element;
}

GstElement *call_srtp_new_encoder(const CallSrtp *srtp, const gchar *name, GError **error)
{
    GstElement *encoder = make("srtpenc", name, error);
    GstBuffer *key;

    if (!encoder)
        return NULL;
    key = key_buffer(srtp->send_key);
    g_object_set(encoder, "key", key, NULL);
    gst_buffer_unref(key);
    gst_util_set_object_arg(G_OBJECT(encoder), "rtp-cipher", cipher_nick(srtp->cipher));
    gst_util_set_object_arg(G_OBJECT(encoder), "rtcp-cipher", cipher_nick(srtp->cipher));
    gst_util_set_object_arg(G_OBJECT(encoder), "rtp-auth", auth_name(srtp->cipher));
    gst_util_set_object_arg(G_OBJECT(encoder), "rtcp-auth", auth_name(srtp->cipher));
    return encoder;
}

/* srtpdec meets a new SSRC. Called with srtpdec's object lock held: touch
 * nothing of the element here. */
static GstCaps *on_request_key(GstElement *decoder, guint ssrc, gpointer data)
{
    CallSrtp *srtp = data;
    (void)decoder;
    (void)ssrc;

    if ((guint)g_atomic_int_add(&srtp->keys_given, 1) >= CALL_SRTP_MAX_SSRCS)
        return NULL;
    return call_srtp_caps(srtp, srtp->receive_key);
}

GstElement *call_srtp_new_decoder(CallSrtp *srtp, const gchar *name, GError **error)
{
    GstElement *decoder = make("srtpdec", name, error);

    if (decoder)
        g_signal_connect(decoder, "request-key", G_CALLBACK(on_request_key), srtp);
    return decoder;
}

guint64 call_srtp_decoder_dropped(GstElement *srtpdec)
{
    GstStructure *stats = NULL;
    guint dropped = 0;

    if (!srtpdec)
        return 0;
    g_object_get(srtpdec, "stats", &stats, NULL);
    if (stats) {
        gst_structure_get_uint(stats, "recv-drop-count", &dropped);
        gst_structure_free(stats);
    }
    return dropped;
}

static void wipe(GBytes **key)
{
    if (*key) {
        gsize size;
        /* GBytes is immutable by contract; this one is ours alone. */
        guint8 *data = (guint8 *)g_bytes_get_data(*key, &size);
        memset(data, 0, size);
        g_bytes_unref(*key);
        *key = NULL;
    }
}

void call_srtp_clear(CallSrtp *srtp)
{
    wipe(&srtp->send_key);
    wipe(&srtp->receive_key);
}
