/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's media ends: what is captured and sent, and where the
 * received media goes (screen and speakers, or a Matroska file). */
#ifndef FACET_CALL_MEDIA_H
#define FACET_CALL_MEDIA_H

#include <gst/gst.h>

#include "call_options.h"

/* A bin with a "src" pad giving the video to send: I420 at the size and
 * rate of the options, paced to real time. The bin posts an error naming
 * the file when a file has no video stream. *entry is the sink pad just
 * after the input (camera, test source or file decoder), where an EOS ends
 * the stream whatever the input; the caller unrefs it. */
GstElement *call_media_video_source(const CallOptions *options, GstPad **entry, GError **error);

/* A bin with a "src" pad giving the audio to send: 48 kHz mono, paced to
 * real time. *entry as above. */
GstElement *call_media_audio_source(const CallOptions *options, GstPad **entry, GError **error);

/* Adds a Matroska writer to `pipeline`: returns the muxer (owned by the
 * pipeline) whose video_%u / audio_%u pads take the received streams. */
GstElement *call_media_add_recorder(GstBin *pipeline, const gchar *path, GError **error);

/* Adds the elements that take the decoded video to `pipeline`: to the
 * recorder `mux` when there is one (re-encoded as JPEG), else to a window.
 * Returns the first element (owned by the pipeline). */
GstElement *call_media_add_video_output(GstBin *pipeline, GstElement *mux, GError **error);

/* The same for the received Opus stream (audio/x-opus): into `mux` as it
 * came, else decoded to the speakers. */
GstElement *call_media_add_audio_output(GstBin *pipeline, GstElement *mux, GError **error);

/* Makes an element or fails with a message naming the missing plugin. */
GstElement *call_media_make(const gchar *factory, const gchar *name, GError **error);

#endif
