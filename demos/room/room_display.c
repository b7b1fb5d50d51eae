/* SPDX-License-Identifier: BSD-2-Clause */
/* Tiles of a compositor, fed from the feeds' decoders. */
#include "room_display.h"

#include <string.h>

#include <gst/app/app.h>
#include <gst/gst.h>

#define MAX_TILES 16

typedef struct Tile {
    RoomDisplay *display;
    guint64 feed_id;
    guint slot;
    GstElement *appsrc;
    GstElement *convert;
    GstPad *mixer_pad;
} Tile;

struct RoomDisplay {
    GstElement *pipeline;
    GstElement *mixer;
    int width, height;
    GHashTable *tiles;      /* feed id -> Tile */
    gboolean used[MAX_TILES];
};

RoomDisplay *room_display_new(int width, int height, const gchar *sink, GError **error)
{
    RoomDisplay *d = g_new0(RoomDisplay, 1);
    d->width = width;
    d->height = height;
    d->tiles = g_hash_table_new(g_int64_hash, g_int64_equal);
    /* A black background tile keeps the compositor running with no feed. */
    gchar *description = g_strdup_printf(
        "compositor name=mix background=black ! videoconvert ! %s "
        "videotestsrc is-live=true pattern=black ! video/x-raw,width=%d,height=%d,framerate=10/1 "
        "! mix.", sink ? sink : "autovideosink sync=false", width, height);
    d->pipeline = gst_parse_launch(description, error);
    g_free(description);
    if (!d->pipeline) {
        room_display_free(d);
        return NULL;
    }
    d->mixer = gst_bin_get_by_name(GST_BIN(d->pipeline), "mix");
    if (gst_element_set_state(d->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "the window did not open (no display? try --headless)");
        room_display_free(d);
        return NULL;
    }
    return d;
}

static void show(const FacetPicture *picture, gpointer data)
{
    Tile *tile = data;
    if (picture->format != FACET_PIXEL_FORMAT_I420)
        return;
    int cw = (picture->width + 1) / 2, ch = (picture->height + 1) / 2;
    gsize sizes[3] = { (gsize)picture->width * picture->height, (gsize)cw * ch, (gsize)cw * ch };
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, sizes[0] + sizes[1] + sizes[2], NULL);
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
        gst_buffer_unref(buffer);
        return;
    }
    guint8 *out = map.data;
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? cw : picture->width, h = plane ? ch : picture->height;
        for (int y = 0; y < h; y++, out += w)
            memcpy(out, picture->data[plane] + y * picture->stride[plane], (size_t)w);
    }
    gst_buffer_unmap(buffer, &map);
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                        G_TYPE_INT, picture->width, "height", G_TYPE_INT,
                                        picture->height, "framerate", GST_TYPE_FRACTION, 0, 1,
                                        NULL);
    GstSample *sample = gst_sample_new(buffer, caps, NULL, NULL);
    gst_app_src_push_sample(GST_APP_SRC(tile->appsrc), sample);
    gst_sample_unref(sample);
    gst_caps_unref(caps);
    gst_buffer_unref(buffer);
}

static RoomFeedShow add_tile(guint64 feed_id, const gchar *name, gpointer data,
                             gpointer *show_data)
{
    (void)name;
    RoomDisplay *d = data;
    guint slot = 0;
    while (slot < MAX_TILES && d->used[slot])
        slot++;
    if (slot == MAX_TILES)
        return NULL;
    Tile *tile = g_new0(Tile, 1);
    tile->display = d;
    tile->feed_id = feed_id;
    tile->slot = slot;
    tile->appsrc = gst_element_factory_make("appsrc", NULL);
    gchar *description = g_strdup_printf("videoconvert ! videoscale ! "
                                         "video/x-raw,width=%d,height=%d", d->width, d->height);
    tile->convert = gst_parse_bin_from_description(description, TRUE, NULL);
    g_free(description);
    if (!tile->appsrc || !tile->convert) {
        g_clear_object(&tile->appsrc);
        g_clear_object(&tile->convert);
        g_free(tile);
        return NULL;
    }
    g_object_set(tile->appsrc, "is-live", TRUE, "do-timestamp", TRUE, "format", GST_FORMAT_TIME,
                 "max-bytes", (guint64)4 * d->width * d->height, "leaky-type", 2 /* downstream */,
                 NULL);
    gst_bin_add_many(GST_BIN(d->pipeline), tile->appsrc, tile->convert, NULL);
    gst_element_link(tile->appsrc, tile->convert);
    tile->mixer_pad = gst_element_request_pad_simple(d->mixer, "sink_%u");
    g_object_set(tile->mixer_pad, "xpos", (gint)(slot % 4) * d->width, "ypos",
                 (gint)(slot / 4) * d->height, NULL);
    GstPad *src = gst_element_get_static_pad(tile->convert, "src");
    gst_pad_link(src, tile->mixer_pad);
    gst_object_unref(src);
    gst_element_sync_state_with_parent(tile->convert);
    gst_element_sync_state_with_parent(tile->appsrc);
    d->used[slot] = TRUE;
    g_hash_table_insert(d->tiles, &tile->feed_id, tile);
    *show_data = tile;
    return show;
}

static void remove_tile(guint64 feed_id, gpointer data)
{
    RoomDisplay *d = data;
    Tile *tile = g_hash_table_lookup(d->tiles, &feed_id);
    if (!tile)
        return;
    g_hash_table_remove(d->tiles, &feed_id);
    gst_element_set_state(tile->appsrc, GST_STATE_NULL);
    gst_element_set_state(tile->convert, GST_STATE_NULL);
    gst_bin_remove_many(GST_BIN(d->pipeline), tile->appsrc, tile->convert, NULL);
    gst_element_release_request_pad(d->mixer, tile->mixer_pad);
    gst_object_unref(tile->mixer_pad);
    d->used[tile->slot] = FALSE;
    g_free(tile);
}

void room_display_call_hooks(RoomDisplay *display, RoomCallDisplay *hooks)
{
    hooks->add = add_tile;
    hooks->remove = remove_tile;
    hooks->data = display;
}

void room_display_free(RoomDisplay *d)
{
    if (!d)
        return;
    GHashTableIter iter;
    gpointer value;
    GList *ids = NULL;
    g_hash_table_iter_init(&iter, d->tiles);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        ids = g_list_prepend(ids, value);
    for (GList *l = ids; l; l = l->next)
        remove_tile(((Tile *)l->data)->feed_id, d);
    g_list_free(ids);
    if (d->pipeline)
        gst_element_set_state(d->pipeline, GST_STATE_NULL);
    g_clear_object(&d->mixer);
    g_clear_object(&d->pipeline);
    g_hash_table_unref(d->tiles);
    g_free(d);
}
