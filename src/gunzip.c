/* gunzip — a GConverter that decompresses every gzip member of a stream,
 * as gzip -d does. See src/gunzip.h. */
#include "gunzip.h"

/* GZlibDecompressor stops at the end of the first gzip member and the rest
 * of the file would be lost without a word; gzip -d goes on, and so do we
 * (`cat a.gz b.gz > c.gz` and `gzip >> box.gz` make such files). */
#define GUNZIP_TYPE (gunzip_get_type ())
G_DECLARE_FINAL_TYPE (NdrsiftGunzip, gunzip, GUNZIP, CONVERTER, GObject)

struct _NdrsiftGunzip {
	GObject parent;
	GConverter *member;  /* decompresses one member */
	gboolean between;    /* a member ended: the next byte starts another one */
};

static void gunzip_converter_init (GConverterIface *iface);

G_DEFINE_TYPE_WITH_CODE (NdrsiftGunzip, gunzip, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER, gunzip_converter_init))

static GConverterResult
gunzip_convert (GConverter *converter, const void *inbuf, gsize inbuf_size,
                        void *outbuf, gsize outbuf_size, GConverterFlags flags,
                        gsize *bytes_read, gsize *bytes_written, GError **error)
{
	NdrsiftGunzip *self = GUNZIP_CONVERTER (converter);
	if (self->between) {
		if (inbuf_size == 0) {
			*bytes_read = *bytes_written = 0;
			if (flags & G_CONVERTER_INPUT_AT_END)
				return G_CONVERTER_FINISHED;
			/* the protocol's way to ask for more input */
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "Need more input");
			return G_CONVERTER_ERROR;
		}
		/* zeros after a member are padding (tape blocks): gzip -d skips them too */
		const guint8 *in = inbuf;
		gsize zeros = 0;
		while (zeros < inbuf_size && in[zeros] == 0)
			zeros++;
		if (zeros > 0) {
			*bytes_read = zeros;
			*bytes_written = 0;
			if (zeros == inbuf_size && (flags & G_CONVERTER_INPUT_AT_END))
				return G_CONVERTER_FINISHED;
			return G_CONVERTER_CONVERTED;
		}
		self->between = FALSE;
	}
	GConverterResult res = g_converter_convert (self->member, inbuf, inbuf_size, outbuf,
	                                            outbuf_size, flags, bytes_read,
	                                            bytes_written, error);
	if (res == G_CONVERTER_FINISHED) {
		g_converter_reset (self->member);
		self->between = TRUE;
		if (*bytes_read < inbuf_size || !(flags & G_CONVERTER_INPUT_AT_END))
			return G_CONVERTER_CONVERTED;
	}
	return res;
}

static void
gunzip_reset (GConverter *converter)
{
	NdrsiftGunzip *self = GUNZIP_CONVERTER (converter);
	g_converter_reset (self->member);
	self->between = FALSE;
}

static void
gunzip_converter_init (GConverterIface *iface)
{
	iface->convert = gunzip_convert;
	iface->reset = gunzip_reset;
}

static void
gunzip_finalize (GObject *object)
{
	g_clear_object (&GUNZIP_CONVERTER (object)->member);
	G_OBJECT_CLASS (gunzip_parent_class)->finalize (object);
}

static void
gunzip_class_init (NdrsiftGunzipClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = gunzip_finalize;
}

static void
gunzip_init (NdrsiftGunzip *self)
{
	self->member = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
}

GConverter *
gunzip_new (void)
{
	return G_CONVERTER (g_object_new (GUNZIP_TYPE, NULL));
}
