/* Unit tests of src/lazylibs.c (built only when GIO, json-glib and
 * libidn2 are loaded at their first call): none of the three is in the
 * process before one of its functions is called, and the call through the
 * stub reaches the library and gives its answer. */
#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <idn2.h>
#include <json-glib/json-glib.h>

static gboolean
loaded (const char *soname)
{
	void *h = dlopen (soname, RTLD_NOW | RTLD_NOLOAD);
	if (h)
		dlclose (h);
	return h != NULL;
}

static void
test_idn2 (void)
{
	g_assert_false (loaded (NS_SONAME_IDN2));
	char *out = NULL;
	g_assert_cmpint (idn2_to_ascii_8z ("b\xc3\xbc" "cher.example", &out, 0), ==, IDN2_OK);
	g_assert_cmpstr (out, ==, "xn--bcher-kva.example");
	idn2_free (out);
	g_assert_true (loaded (NS_SONAME_IDN2));
}

static void
test_jsonglib (void)
{
	g_assert_false (loaded (NS_SONAME_JSONGLIB));
	g_autoptr(JsonObject) o = json_object_new ();
	json_object_set_int_member (o, "n", 42);
	g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), o);
	g_autoptr(JsonGenerator) gen = json_generator_new ();
	json_generator_set_root (gen, root);
	g_autofree char *text = json_generator_to_data (gen, NULL);
	g_assert_cmpstr (text, ==, "{\"n\":42}");
	g_assert_true (loaded (NS_SONAME_JSONGLIB));
}

static void
test_gio (void)
{
	g_assert_false (loaded (NS_SONAME_GIO));
	int fds[2];
	g_assert_cmpint (pipe (fds), ==, 0);
	g_assert_cmpint (write (fds[1], "abc", 3), ==, 3);
	close (fds[1]);
	g_autoptr(GInputStream) in = g_unix_input_stream_new (fds[0], TRUE);
	char buf[8];
	g_assert_cmpint (g_input_stream_read (in, buf, sizeof buf, NULL, NULL), ==, 3);
	g_assert_cmpint (memcmp (buf, "abc", 3), ==, 0);
	g_assert_true (loaded (NS_SONAME_GIO));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	/* idn2 and GIO first: json-glib brings GIO with it. */
	g_test_add_func ("/lazylibs/idn2", test_idn2);
	g_test_add_func ("/lazylibs/gio", test_gio);
	g_test_add_func ("/lazylibs/json-glib", test_jsonglib);
	return g_test_run ();
}
