/* lazylibs — GIO, json-glib and libidn2 loaded on their first call.
 *
 * Linked only with GMime from its static archive (configure.ac, "lazily
 * loaded libraries"). `filter` is one process a message, and the dynamic
 * loader binds every symbol of every library the program names, at every
 * start: GIO alone (with the libmount, libselinux, libblkid and libgmodule
 * it brings) costs 2 M instructions, json-glib and libidn2 (with
 * libunistring) another 0.9 M, and `filter` calls none of them. So the
 * program names none of them: each function of theirs that ndrsift or
 * GMime calls is defined here, with the prototype of the library's own
 * header, as a stub that opens the library (dlopen, by its soname, which
 * configure takes from the library the build would have linked) the first
 * time one of its functions is called, and calls the library's function.
 * Scanning a mailbox (GIO streams), importing a log, writing or reading
 * JSON, or GMime meeting an internationalised domain load them then.
 *
 * GLib and GObject stay linked as shared libraries: a library loaded later
 * uses the very same GLib and GType registry, never a second copy.
 *
 * Limits: functions only (no data symbol is reachable this way). A call
 * to a function not listed here fails at link time, "undefined reference":
 * add a line below. A library that cannot be loaded is fatal (g_error);
 * they are the package's dependencies, as they were as DT_NEEDED entries,
 * where a missing one stopped every command before main().
 *
 * Thread-safe: a library and each function are looked up once (g_once). */
#include "config.h"

#include <dlfcn.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <idn2.h>
#include <json-glib/json-glib.h>

#include "lazylibs.h"

LazyLib lazylibs_gio = { NS_SONAME_GIO, 0 };
LazyLib lazylibs_jsonglib = { NS_SONAME_JSONGLIB, 0 };
LazyLib lazylibs_idn2 = { NS_SONAME_IDN2, 0 };

#ifdef NS_SONAME_GLIB
/* With GLib linked from its archive, GIO and json-glib call the
 * program's GLib and GObject (configure.ac): they must be of the GLib
 * the program was built with. A system whose shared GLib has moved on
 * (another minor version: new functions, other internals) would mix two;
 * a command that needs them refuses instead, and says to rebuild. */
static void
same_glib_or_die (void)
{
	static gsize checked;
	if (!g_once_init_enter (&checked))
		return;
	void *h = dlopen (NS_SONAME_GLIB, RTLD_NOW | RTLD_LOCAL);
	const guint *major = h ? dlsym (h, "glib_major_version") : NULL;
	const guint *minor = h ? dlsym (h, "glib_minor_version") : NULL;
	if (!major || !minor)
		g_error ("cannot load %s: %s", NS_SONAME_GLIB, dlerror ());
	if (*major != GLIB_MAJOR_VERSION || *minor != GLIB_MINOR_VERSION)
		g_error ("the system's GLib is %u.%u, ndrsift was built with GLib %d.%d linked in: rebuild ndrsift "
		         "(GIO and json-glib must use the GLib it holds)",
		         *major, *minor, GLIB_MAJOR_VERSION, GLIB_MINOR_VERSION);
	g_once_init_leave (&checked, 1);
}
#endif

gsize
lazylibs_symbol (LazyLib *lib, const char *name)
{
	if (g_once_init_enter (&lib->handle)) {
#ifdef NS_SONAME_GLIB
		if (lib != &lazylibs_idn2)
			same_glib_or_die ();
#endif
		void *h = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			g_error ("cannot load %s: %s", lib->soname, dlerror ());
		g_once_init_leave (&lib->handle, (gsize) h);
	}
	void *fn = dlsym ((void *) lib->handle, name);
	if (!fn)
		g_error ("%s: no function %s: %s", lib->soname, name, dlerror ());
	return (gsize) fn;
}

#define gio lazylibs_gio
#define jsonglib lazylibs_jsonglib
#define idn2 lazylibs_idn2
#define LAZY LAZYLIBS_STUB
#define LAZY_VOID LAZYLIBS_STUB_VOID

/* ---- GIO: mailbox and logreader streams; GMime's GIO stream ---- */
LAZY (gio, GType, g_converter_get_type, (void), ())
LAZY (gio, GConverterResult, g_converter_convert,
      (GConverter *converter, const void *inbuf, gsize inbuf_size, void *outbuf, gsize outbuf_size,
       GConverterFlags flags, gsize *bytes_read, gsize *bytes_written, GError **error),
      (converter, inbuf, inbuf_size, outbuf, outbuf_size, flags, bytes_read, bytes_written, error))
LAZY_VOID (gio, g_converter_reset, (GConverter *converter), (converter))
LAZY (gio, GInputStream *, g_converter_input_stream_new, (GInputStream *base_stream, GConverter *converter),
      (base_stream, converter))
LAZY (gio, GZlibDecompressor *, g_zlib_decompressor_new, (GZlibCompressorFormat format), (format))
LAZY (gio, GInputStream *, g_unix_input_stream_new, (gint fd, gboolean close_fd), (fd, close_fd))
LAZY (gio, gssize, g_input_stream_read,
      (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error),
      (stream, buffer, count, cancellable, error))
LAZY (gio, gboolean, g_input_stream_close, (GInputStream *stream, GCancellable *cancellable, GError **error),
      (stream, cancellable, error))
LAZY (gio, gboolean, g_output_stream_write_all,
      (GOutputStream *stream, const void *buffer, gsize count, gsize *bytes_written, GCancellable *cancellable,
       GError **error),
      (stream, buffer, count, bytes_written, cancellable, error))
LAZY (gio, gboolean, g_output_stream_flush, (GOutputStream *stream, GCancellable *cancellable, GError **error),
      (stream, cancellable, error))
LAZY (gio, gboolean, g_output_stream_close, (GOutputStream *stream, GCancellable *cancellable, GError **error),
      (stream, cancellable, error))
LAZY (gio, GType, g_seekable_get_type, (void), ())
LAZY (gio, gboolean, g_seekable_seek,
      (GSeekable *seekable, goffset offset, GSeekType type, GCancellable *cancellable, GError **error),
      (seekable, offset, type, cancellable, error))
LAZY (gio, goffset, g_seekable_tell, (GSeekable *seekable), (seekable))
LAZY (gio, GType, g_file_get_type, (void), ())
LAZY (gio, GFileInputStream *, g_file_read, (GFile *file, GCancellable *cancellable, GError **error),
      (file, cancellable, error))
LAZY (gio, GFileOutputStream *, g_file_append_to,
      (GFile *file, GFileCreateFlags flags, GCancellable *cancellable, GError **error),
      (file, flags, cancellable, error))
LAZY (gio, GQuark, g_io_error_quark, (void), ())
LAZY (gio, GIOErrorEnum, g_io_error_from_errno, (gint err_no), (err_no))

/* ---- json-glib: every byte of JSON ndrsift reads or writes ---- */
LAZY (jsonglib, JsonParser *, json_parser_new, (void), ())
LAZY (jsonglib, gboolean, json_parser_load_from_data,
      (JsonParser *parser, const gchar *data, gssize length, GError **error), (parser, data, length, error))
LAZY (jsonglib, JsonNode *, json_parser_get_root, (JsonParser *parser), (parser))
LAZY (jsonglib, JsonGenerator *, json_generator_new, (void), ())
LAZY_VOID (jsonglib, json_generator_set_indent, (JsonGenerator *generator, guint indent_level),
           (generator, indent_level))
LAZY_VOID (jsonglib, json_generator_set_pretty, (JsonGenerator *generator, gboolean is_pretty),
           (generator, is_pretty))
LAZY_VOID (jsonglib, json_generator_set_root, (JsonGenerator *generator, JsonNode *node), (generator, node))
LAZY (jsonglib, gchar *, json_generator_to_data, (JsonGenerator *generator, gsize *length), (generator, length))
LAZY (jsonglib, GString *, json_generator_to_gstring, (JsonGenerator *generator, GString *string),
      (generator, string))
LAZY (jsonglib, JsonNode *, json_node_alloc, (void), ())
LAZY (jsonglib, JsonNode *, json_node_new, (JsonNodeType type), (type))
LAZY (jsonglib, JsonNode *, json_node_init_object, (JsonNode *node, JsonObject *object), (node, object))
LAZY_VOID (jsonglib, json_node_unref, (JsonNode *node), (node))
LAZY (jsonglib, JsonNodeType, json_node_get_node_type, (JsonNode *node), (node))
LAZY (jsonglib, GType, json_node_get_value_type, (JsonNode *node), (node))
LAZY (jsonglib, JsonObject *, json_node_get_object, (JsonNode *node), (node))
LAZY (jsonglib, JsonArray *, json_node_get_array, (JsonNode *node), (node))
LAZY (jsonglib, const gchar *, json_node_get_string, (JsonNode *node), (node))
LAZY_VOID (jsonglib, json_node_set_object, (JsonNode *node, JsonObject *object), (node, object))
LAZY_VOID (jsonglib, json_node_set_string, (JsonNode *node, const gchar *value), (node, value))
LAZY (jsonglib, JsonObject *, json_object_new, (void), ())
LAZY (jsonglib, JsonObject *, json_object_ref, (JsonObject *object), (object))
LAZY_VOID (jsonglib, json_object_unref, (JsonObject *object), (object))
LAZY (jsonglib, JsonNode *, json_object_get_member, (JsonObject *object, const gchar *member_name),
      (object, member_name))
LAZY_VOID (jsonglib, json_object_set_member, (JsonObject *object, const gchar *member_name, JsonNode *node),
           (object, member_name, node))
LAZY_VOID (jsonglib, json_object_set_string_member,
           (JsonObject *object, const gchar *member_name, const gchar *value), (object, member_name, value))
LAZY_VOID (jsonglib, json_object_set_int_member, (JsonObject *object, const gchar *member_name, gint64 value),
           (object, member_name, value))
LAZY_VOID (jsonglib, json_object_set_double_member,
           (JsonObject *object, const gchar *member_name, gdouble value), (object, member_name, value))
LAZY_VOID (jsonglib, json_object_set_boolean_member,
           (JsonObject *object, const gchar *member_name, gboolean value), (object, member_name, value))
LAZY_VOID (jsonglib, json_object_set_null_member, (JsonObject *object, const gchar *member_name),
           (object, member_name))
LAZY_VOID (jsonglib, json_object_set_object_member,
           (JsonObject *object, const gchar *member_name, JsonObject *value), (object, member_name, value))
LAZY_VOID (jsonglib, json_object_set_array_member,
           (JsonObject *object, const gchar *member_name, JsonArray *value), (object, member_name, value))
LAZY (jsonglib, JsonArray *, json_array_sized_new, (guint n_elements), (n_elements))
LAZY (jsonglib, guint, json_array_get_length, (JsonArray *array), (array))
LAZY (jsonglib, JsonNode *, json_array_get_element, (JsonArray *array, guint index_), (array, index_))
LAZY_VOID (jsonglib, json_array_add_string_element, (JsonArray *array, const gchar *value), (array, value))
LAZY_VOID (jsonglib, json_array_add_object_element, (JsonArray *array, JsonObject *value), (array, value))

/* ---- libidn2: GMime's internationalised domains in addresses ---- */
LAZY (idn2, int, idn2_to_ascii_8z, (const char *input, char **output, int flags), (input, output, flags))
LAZY (idn2, int, idn2_to_unicode_8z8z, (const char *input, char **output, int flags), (input, output, flags))
LAZY_VOID (idn2, idn2_free, (void *ptr), (ptr))
