/* replay — a plain main() for a harness, so that `make check` can run the
 * committed crash inputs (fuzz/regressions/NAME/) through the very code
 * that found them, built with the normal compiler (and with ASan and
 * UBSan in a --enable-sanitizers build) instead of libFuzzer.
 *
 * replay-NAME FILE|DIR...: calls LLVMFuzzerInitialize once, then
 * LLVMFuzzerTestOneInput on each file (a directory: its files, in name
 * order). A harness reports a failure by crashing or aborting, as under
 * libFuzzer; replay prints each file's name first, so the log says which. */
#include "fuzz-common.h"

static void
replay_file (const char *path)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	if (!g_file_get_contents (path, &data, &len, &error)) {
		fprintf (stderr, "replay: %s\n", error->message);
		exit (2);
	}
	printf ("%s\n", path);
	fflush (stdout);
	/* A copy of exactly len bytes, as libFuzzer passes it (ASan then sees
	 * a read past them); never NULL, not even for an empty file. */
	g_autofree uint8_t *copy = g_malloc (len ? len : 1);
	memcpy (copy, data, len);
	LLVMFuzzerTestOneInput (copy, len);
}

static int
by_name (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
	LLVMFuzzerInitialize (&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
			replay_file (argv[i]);
			continue;
		}
		g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
		g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
		for (const char *name; dir && (name = g_dir_read_name (dir)); )
			g_ptr_array_add (paths, g_build_filename (argv[i], name, NULL));
		g_ptr_array_sort (paths, by_name);
		for (guint j = 0; j < paths->len; j++)
			replay_file (g_ptr_array_index (paths, j));
	}
	return 0;
}
