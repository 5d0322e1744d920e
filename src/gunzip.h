/* gunzip — a gzip stream decompressed whole: GZlibDecompressor reads one
 * gzip member and stops, so that the rest of a file made by `cat a.gz
 * b.gz` or `gzip >> box.gz` would be lost without a word; this converter
 * goes on with the next member, and skips zero padding between members,
 * as gzip -d does. Used by mailbox for ".gz" files.
 *
 * Limits: none of its own; the reader bounds what it keeps.
 *
 * Ownership: gunzip_new() returns (transfer full) a GConverter for
 * g_converter_input_stream_new(). */
#ifndef NDRSIFT_GUNZIP_H
#define NDRSIFT_GUNZIP_H

#include <gio/gio.h>

GConverter *gunzip_new (void);

#endif
