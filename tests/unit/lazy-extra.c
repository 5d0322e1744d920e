/* lazy-extra — the GIO and json-glib functions test-printer and
 * test-mailbox call and the program does not, loaded at their first call
 * as the program's own are (src/lazylibs.h). Linked into those two tests
 * in a build whose program loads GIO and json-glib lazily; otherwise they
 * link the libraries. */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lazylibs.h"

/* GIO: gzip input written, an output stream kept in memory. */
LAZYLIBS_STUB (lazylibs_gio, GOutputStream *, g_converter_output_stream_new,
               (GOutputStream *base_stream, GConverter *converter), (base_stream, converter))
LAZYLIBS_STUB (lazylibs_gio, GType, g_memory_output_stream_get_type, (void), ())
LAZYLIBS_STUB (lazylibs_gio, GOutputStream *, g_memory_output_stream_new_resizable, (void), ())
LAZYLIBS_STUB (lazylibs_gio, GBytes *, g_memory_output_stream_steal_as_bytes, (GMemoryOutputStream *ostream),
               (ostream))
LAZYLIBS_STUB (lazylibs_gio, GZlibCompressor *, g_zlib_compressor_new, (GZlibCompressorFormat format, int level),
               (format, level))

/* json-glib: the JSON written read back. */
LAZYLIBS_STUB (lazylibs_jsonglib, JsonArray *, json_object_get_array_member,
               (JsonObject *object, const gchar *member_name), (object, member_name))
LAZYLIBS_STUB (lazylibs_jsonglib, gdouble, json_object_get_double_member,
               (JsonObject *object, const gchar *member_name), (object, member_name))
LAZYLIBS_STUB (lazylibs_jsonglib, GList *, json_object_get_members, (JsonObject *object), (object))
LAZYLIBS_STUB (lazylibs_jsonglib, gboolean, json_object_get_null_member,
               (JsonObject *object, const gchar *member_name), (object, member_name))
LAZYLIBS_STUB (lazylibs_jsonglib, JsonObject *, json_object_get_object_member,
               (JsonObject *object, const gchar *member_name), (object, member_name))
LAZYLIBS_STUB (lazylibs_jsonglib, const gchar *, json_object_get_string_member,
               (JsonObject *object, const gchar *member_name), (object, member_name))
