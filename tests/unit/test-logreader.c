/* Unit tests of logreader: whole lines only, an overlong line dropped
 * whole (also when it ends only after a later read), the head and the
 * tail a source is recognised by, the time its lines were read, and what
 * --follow makes of a file renamed away, cut, or cut and regrown. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "ndrsift/limits.h"
#include "logreader.h"

static char *dir;

static char *
write_file (const char *name, const char *data, gssize len)
{
	char *path = g_build_filename (dir, name, NULL);
	g_autoptr (GError) error = NULL;
	g_assert_true (g_file_set_contents (path, data, len, &error));
	return path;
}

/* The same file (inode) cut and written again, as copytruncate leaves it. */
static void
rewrite_in_place (const char *path, const char *data)
{
	FILE *f = fopen (path, "wb");
	g_assert_nonnull (f);
	g_assert_cmpuint (fwrite (data, 1, strlen (data), f), ==, strlen (data));
	fclose (f);
}

static void
append_file (const char *path, const char *data, gsize len)
{
	FILE *f = fopen (path, "ab");
	g_assert_nonnull (f);
	g_assert_cmpuint (fwrite (data, 1, len, f), ==, len);
	fclose (f);
}

static LogReader *
open_started (const char *path, gboolean follow)
{
	g_autoptr (GError) error = NULL;
	LogReader *r = logreader_open (path, follow, &error);
	g_assert_no_error (error);
	gboolean ready = FALSE;
	g_assert_true (logreader_start (r, &ready, &error));
	g_assert_no_error (error);
	g_assert_true (ready);
	return r;
}

/* The next line as a string ("<overlong>" for one dropped), or NULL. */
static char *
next (LogReader *r)
{
	g_autoptr (GError) error = NULL;
	gsize len;
	gboolean overlong;
	const char *line = logreader_line (r, &len, &overlong, &error);
	g_assert_no_error (error);
	if (line == NULL)
		return NULL;
	return overlong ? g_strdup ("<overlong>") : g_strndup (line, len);
}

static void
expect_line (LogReader *r, const char *want)
{
	g_autofree char *got = next (r);
	g_assert_cmpstr (got, ==, want);
}

static void
test_lines (void)
{
	g_autofree char *p = write_file ("lines", "one\r\ntwo\n\nthree", -1);
	g_autoptr (LogReader) r = open_started (p, FALSE);
	expect_line (r, "one");
	g_assert_cmpint (logreader_offset (r), ==, 5);
	expect_line (r, "two");
	expect_line (r, "");
	/* the last line is still being written */
	expect_line (r, NULL);
	g_assert_cmpint (logreader_offset (r), ==, 10);
	gsize n;
	const guint8 *tail = logreader_tail (r, &n);
	g_assert_cmpmem (tail, n, "one\r\ntwo\n\n", 10);
	const guint8 *head = logreader_head (r, &n);
	g_assert_cmpmem (head, n, "one\r\ntwo\n\nthree", 15);
}

/* A line longer than NS_MAX_LOG_LINE: dropped to its end, never in parts;
 * the tail holds its last bytes. */
static void
test_overlong (void)
{
	for (gsize size = NS_MAX_LOG_LINE - 1; size <= NS_MAX_LOG_LINE + 2; size++) {
		g_autoptr (GString) s = g_string_new ("first\n");
		for (gsize i = 0; i < size; i++)
			g_string_append_c (s, "abcdefghij"[i % 10]);
		g_string_append (s, "\nlast\n");
		g_autofree char *p = write_file ("long", s->str, s->len);
		g_autoptr (LogReader) r = open_started (p, FALSE);
		expect_line (r, "first");
		g_autofree char *got = next (r);
		if (size > NS_MAX_LOG_LINE)
			g_assert_cmpstr (got, ==, "<overlong>");
		else
			g_assert_cmpuint (strlen (got), ==, size);
		expect_line (r, "last");
		expect_line (r, NULL);
	}
	/* Much longer than the buffer: one overlong line, then the next. */
	gsize big = 600 * 1024;
	g_autofree char *data = g_malloc (big + 16);
	memset (data, 'x', big);
	memcpy (data + big, "\nnext\n", 6);
	g_autofree char *p = write_file ("huge", data, big + 6);
	g_autoptr (LogReader) r = open_started (p, FALSE);
	expect_line (r, "<overlong>");
	g_assert_cmpint (logreader_offset (r), ==, (gint64) big + 1);
	gsize n;
	const guint8 *tail = logreader_tail (r, &n);
	g_assert_cmpuint (n, ==, NS_SOURCE_ID_BYTES);
	g_assert_cmpmem (tail, n, data + big + 1 - NS_SOURCE_ID_BYTES, NS_SOURCE_ID_BYTES);
	expect_line (r, "next");
	expect_line (r, NULL);
}

/* An overlong line not yet ended: nothing, the offset stays before it;
 * once ended, one overlong line. */
static void
test_overlong_unfinished (void)
{
	g_autoptr (GString) s = g_string_new ("a\n");
	for (int i = 0; i < 300000; i++)
		g_string_append_c (s, ' ');
	g_autofree char *p = write_file ("wip", s->str, s->len);
	g_autoptr (LogReader) r = open_started (p, TRUE);
	expect_line (r, "a");
	expect_line (r, NULL);
	g_assert_cmpint (logreader_offset (r), ==, 2);
	gsize n;
	const guint8 *tail = logreader_tail (r, &n);
	g_assert_cmpmem (tail, n, "a\n", 2);
	append_file (p, "{\"x\":1}\nb\n", 10);
	logreader_again (r);
	expect_line (r, "<overlong>");
	expect_line (r, "b");
	g_assert_cmpint (logreader_offset (r), ==, (gint64) s->len + 10);
}

/* The head: the first NS_SOURCE_ID_BYTES, also when the file had fewer at
 * first and grew. */
static void
test_head (void)
{
	g_autofree char *p = write_file ("head", "short\n", -1);
	g_autoptr (LogReader) r = open_started (p, TRUE);
	gsize n;
	logreader_head (r, &n);
	g_assert_cmpuint (n, ==, 6);
	expect_line (r, "short");
	expect_line (r, NULL);
	g_autoptr (GString) more = g_string_new (NULL);
	for (int i = 0; i < 1000; i++)
		g_string_append_printf (more, "line %d\n", i);
	append_file (p, more->str, more->len);
	logreader_again (r);
	while (TRUE) {
		g_autofree char *l = next (r);
		if (l == NULL)
			break;
	}
	const guint8 *head = logreader_head (r, &n);
	g_assert_cmpuint (n, ==, NS_SOURCE_ID_BYTES);
	g_assert_cmpmem (head, 6, "short\n", 6);
	g_assert_cmpmem (head + 6, n - 6, more->str, n - 6);
}

/* Resuming a regular file: the bytes before the offset become the tail. */
static void
test_seek (void)
{
	g_autofree char *p = write_file ("seek", "alpha\nbeta\ngamma\n", -1);
	g_autoptr (LogReader) r = open_started (p, FALSE);
	g_assert_true (logreader_seekable (r));
	g_autoptr (GError) error = NULL;
	g_assert_true (logreader_seek (r, 11, &error));
	gsize n;
	const guint8 *tail = logreader_tail (r, &n);
	g_assert_cmpmem (tail, n, "alpha\nbeta\n", 11);
	expect_line (r, "gamma");
	guint8 buf[5];
	g_assert_true (logreader_read_at (r, 6, buf, 5));
	g_assert_cmpmem (buf, 5, "beta\n", 5);
	g_assert_false (logreader_read_at (r, 15, buf, 5));
}

/* Lines of a file read once are from its modification time at the latest;
 * a followed file's from the clock. */
static void
test_now (void)
{
	g_autofree char *p = write_file ("old", "x\n", -1);
	struct utimbuf t = { 1700000000, 1700000000 };
	g_assert_cmpint (utime (p, &t), ==, 0);
	g_autoptr (LogReader) once = open_started (p, FALSE);
	g_assert_cmpint (logreader_now (once), ==, 1700000000);
	g_autoptr (LogReader) follow = open_started (p, TRUE);
	g_assert_cmpint (logreader_now (follow), >=, g_get_real_time () / G_USEC_PER_SEC - 60);
}

/* --follow: appended, renamed away, cut, cut and regrown past the offset. */
static void
test_changed (void)
{
	g_autofree char *p = write_file ("f", "one\ntwo\nthree\n", -1);
	{
		g_autoptr (LogReader) r = open_started (p, TRUE);
		while (TRUE) {
			g_autofree char *l = next (r);
			if (l == NULL)
				break;
		}
		append_file (p, "four\n", 5);
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_SAME);
		/* cut and regrown past the offset with other lines */
		rewrite_in_place (p, "uno\ndos\ntres\ncuatro\ncinco\n");
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_TRUNCATED);
	}
	{
		g_autofree char *q = write_file ("f", "one\ntwo\nthree\n", -1);
		g_autoptr (LogReader) r = open_started (q, TRUE);
		expect_line (r, "one");
		expect_line (r, "two");
		/* cut to nothing */
		rewrite_in_place (q, "");
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_TRUNCATED);
		/* regrown with the same bytes up to the offset: the same */
		rewrite_in_place (q, "one\ntwo\nthree\nfour\n");
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_SAME);
	}
	{
		g_autofree char *q = write_file ("f", "one\ntwo\nthree\n", -1);
		g_autoptr (LogReader) r = open_started (q, TRUE);
		expect_line (r, "one");
		g_autofree char *moved = g_build_filename (dir, "f.1", NULL);
		g_assert_cmpint (g_rename (q, moved), ==, 0);
		/* no file at the path for now: the old one is read on */
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_SAME);
		g_autofree char *fresh = write_file ("f", "new\n", -1);
		g_assert_cmpint (logreader_changed (r), ==, LOGREADER_ROTATED);
		expect_line (r, "two");
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	dir = g_dir_make_tmp ("ndrsift-logreader-XXXXXX", NULL);
	g_assert_nonnull (dir);
	g_test_add_func ("/logreader/lines", test_lines);
	g_test_add_func ("/logreader/overlong", test_overlong);
	g_test_add_func ("/logreader/overlong-unfinished", test_overlong_unfinished);
	g_test_add_func ("/logreader/head", test_head);
	g_test_add_func ("/logreader/seek", test_seek);
	g_test_add_func ("/logreader/now", test_now);
	g_test_add_func ("/logreader/changed", test_changed);
	int rc = g_test_run ();
	g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
	(void) system (cmd);
	return rc;
}
