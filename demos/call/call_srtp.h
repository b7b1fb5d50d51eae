/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's media encryption: SRTP/SRTCP through srtpenc and srtpdec
 * (gst-plugins-bad), which rtpbin places on the wire side of each session
 * (its request-rtp/rtcp-encoder/decoder signals).
 *
 * Both sides are given one master key (--key: hex, or a file holding the
 * hex). Each direction encrypts with its own key derived from it
 * (HMAC-SHA256 of the master key and the direction's name), so that the two
 * sides never share a keystream whatever SSRCs they pick, and a packet
 * reflected back to its sender fails authentication. srtpdec drops every
 * packet that fails authentication (a wrong key, a stranger's plain RTP,
 * tampering, a replay) and counts it (recv-drop-count). */
#ifndef FACET_CALL_SRTP_H
#define FACET_CALL_SRTP_H

#include <gst/gst.h>

typedef enum CallCipher {
    CALL_CIPHER_AES_128_GCM,             /* AEAD, 16-byte tag (RFC 7714) */
    CALL_CIPHER_AES_128_CM_HMAC_SHA1_80, /* RFC 3711's default, 10-byte tag */
} CallCipher;

/* Master keys: 16 to 64 bytes (32 to 128 hex digits). */
#define CALL_KEY_MIN_BYTES 16
#define CALL_KEY_MAX_BYTES 64

/* "aes-128-gcm" or "aes-128-cm-hmac-sha1-80" -> *cipher. */
gboolean call_srtp_cipher_from_name(const gchar *name, CallCipher *cipher);
const gchar *call_srtp_cipher_name(CallCipher cipher);

/* A master key from hex text (whitespace ignored, so a file's newline
 * does not matter). `what` names it in the error ("--key", a file name). */
GBytes *call_srtp_key_from_hex(const gchar *text, const gchar *what, GError **error);

/* The master key in `path`, as hex text. A file that others may read is
 * accepted with a warning on stderr: the key is only as secret as it. */
GBytes *call_srtp_key_from_file(const gchar *path, GError **error);

typedef struct CallSrtp {
    CallCipher cipher;
    GBytes *send_key;    /* master key + salt of what we send */
    GBytes *receive_key; /* ... of what the peer sends */
    guint keys_given;    /* SSRCs srtpdec asked a key for (atomic) */
} CallSrtp;

/* Derives both directions' keys from `master` for `cipher`; the listener's
 * send key is the caller's receive key and back. */
void call_srtp_init(CallSrtp *srtp, GBytes *master, CallCipher cipher, gboolean listener);

/* The key, salt and cipher of a direction as srtpdec wants them in caps
 * (also what the tests compare). */
GstCaps *call_srtp_caps(const CallSrtp *srtp, GBytes *key);

/* A new srtpenc (floating) encrypting with the send key, for one session
 * (rtpbin requests its rtp_sink_N and rtcp_sink_N pads). */
GstElement *call_srtp_new_encoder(const CallSrtp *srtp, const gchar *name, GError **error);

/* A new srtpdec (floating) that decrypts with the receive key. It answers
 * the key request of at most CALL_SRTP_MAX_SSRCS streams per call (the
 * peer uses a few; a stranger spraying made-up SSRCs must not grow its
 * table without end): beyond that srtpdec drops the packets. `srtp` must
 * outlive the element. */
#define CALL_SRTP_MAX_SSRCS 64
GstElement *call_srtp_new_decoder(CallSrtp *srtp, const gchar *name, GError **error);

/* Packets srtpdec refused (failed authentication or decryption, replays,
 * no key): its recv-drop-count. */
guint64 call_srtp_decoder_dropped(GstElement *srtpdec);

void call_srtp_clear(CallSrtp *srtp);

#endif
