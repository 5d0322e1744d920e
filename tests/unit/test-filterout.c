/* Unit tests of filterout, filter's output writer: each case's exact
 * output from the whole input in memory; the same output when the input
 * is streamed through the window (from a file descriptor), with the
 * window's end falling on every byte of the case (after a kept padding
 * field), so that every decision is also taken across a buffer end; the
 * one deliberate difference of the streamed path (a line start undecided
 * past the window is dropped); and a reader that went away. The readers'
 * view of these outputs is tests/cli/filter-preset.test's. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "filterout.h"

#define NAME "X-NDR-Verdict"
#define VALUE "none; kind=none"

typedef struct {
	const char *in;
	gsize in_len;      /* 0: strlen (in) */
	const char *want;  /* the output after the header (and a From line) */
	const char *prefix;/* the From line before the header, or NULL */
	const char *eol;
} Case;

#define P "X-NDR-Verdict: forged; tests=PRESET"
#define NAMES "From: a\nx-ndr-verdict \r\t: x\nX-NDR-\rVerdict: x\n\rX-NDR-Verdict: x\nX-NDR-Verdict\0: x\nTo: b\n\n"
#define NUL_JUNK "From: a\nX-NDR-Verdict\0junk: x\nTo: b\n\n"
static const Case cases[] = {
	{ "From: a\n" P "\nTo: b\n\nbody\n", 0, "From: a\nTo: b\n\nbody\n", NULL, "\n" },
	{ P "\r\nFrom: a\r\n\r\n" P "\r\n\tfolded\r\nbody\r\n", 0, "From: a\r\n\r\nbody\r\n", NULL, "\r\n" },
	{ P "\rFrom: a\r\rbody " P "\r", 0, "From: a\r\rbody " P "\r", NULL, "\r" },
	/* blanks, CRs (maildrop) and a NUL (Dovecot) after the name; any case */
	{ NAMES, sizeof NAMES - 1, "From: a\nTo: b\n\n", NULL, "\n" },
	{ NUL_JUNK, sizeof NUL_JUNK - 1, "From: a\nTo: b\n\n", NULL, "\n" },
	/* the header ends for procmail at LF LF only (a blank line is a
	 * continuation: of the field dropped before it) */
	{ "From: a\n\r\n" P "\n\r\r\n" P "\n \n" P "\n\nbody\n" P "\n", 0,
	  "From: a\n\r\n\r\r\n\nbody\n" P "\n", NULL, "\n" },
	{ "From: a\n \n" P "\n\n", 0, "From: a\n \n\n", NULL, "\n" },
	/* continuation lines of a dropped field, one starting with a CR */
	{ P "\n\tmore\n\r\tmore\nTo: b\n\n", 0, "To: b\n\n", NULL, "\n" },
	/* a stretch after a lone CR: from that CR to the line end, or the next
	 * CR, with its continuations; the line end stays */
	{ "Subject: a\r" P "\nTo: b\n\n", 0, "Subject: a\nTo: b\n\n", NULL, "\n" },
	{ "Subject: a\r" P "\r\n\r\n", 0, "Subject: a\r\n\r\n", NULL, "\r\n" },
	{ "Subject: a\r" P "\r\tfolded\rX-Other: kept\nTo: b\n\n", 0, "Subject: a\rX-Other: kept\nTo: b\n\n",
	  NULL, "\n" },
	/* CR only: the input's start is a stretch after the header's CR */
	{ P "\r\tcont\rSubject: a\r" P "\r\rbody\r", 0, "Subject: a\r\rbody\r", NULL, "\r" },
	{ "Subject: a\r" P, 0, "Subject: a\r", NULL, "\r" },
	{ "Subject: a\r", 0, "Subject: a\r", NULL, "\r" },
	/* after an empty line to lone-CR readers, stretches are no fields */
	{ "Subject: a\r\r" P "\n" P "\n\n", 0, "Subject: a\r\r" P "\n\n", NULL, "\n" },
	/* dropping the stretch alone would join X-NDR- and Verdict: */
	{ "X-NDR-\rX-NDR-Verdict: y\rVerdict: forged\nTo: b\n\n", 0, "To: b\n\n", NULL, "\n" },
	{ "X-NDR-Verdict\rX-NDR-Verdict: y\n\tforged\nTo: b\n\n", 0, "To: b\n\n", NULL, "\n" },
	/* a stretch after the line's start is decided: only it goes */
	{ "X-NDR-Verdicts\r" P "\nTo: b\n\n", 0, "X-NDR-Verdicts\nTo: b\n\n", NULL, "\n" },
	/* From lines */
	{ "From x\n" P "\nTo: b\n\n", 0, "To: b\n\n", "From x\n", "\n" },
	{ "From x\r\n" P "\r\n\r\n", 0, "\r\n", "From x\r\n", "\r\n" },
	{ "From x\r" P "\rTo: b\r\r", 0, "To: b\r\r", "From x\r", "\r" },
	{ "From x\r" P "\nTo: b\n\n", 0, "To: b\n\n", "From x\n", "\n" },
	{ "From x", 0, "", "From x\n", "\n" },
	/* the line end: the first LF's, CR only without LF */
	{ "Subject: a\rb\nTo: c\n\n", 0, "Subject: a\rb\nTo: c\n\n", NULL, "\n" },
	{ "Subject: a\r\nTo: c\n\n", 0, "Subject: a\r\nTo: c\n\n", NULL, "\r\n" },
	{ "", 0, "", NULL, "\n" },
	{ "\n" P "\n", 0, "\n" P "\n", NULL, "\n" },
	{ "\r\n" P "\n\nbody\n", 0, "\r\n\nbody\n", NULL, "\r\n" },
	{ "Subject: a\n" P, 0, "Subject: a\n", NULL, "\n" },
	{ "Subject: a\n " P "\n\n", 0, "Subject: a\n " P "\n\n", NULL, "\n" },
};

static gsize
case_len (const Case *c)
{
	return c->in_len ? c->in_len : strlen (c->in);
}

/* A file holding data, its offset at 0. */
static int
file_with (const void *data, gsize n)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp ("filterout-XXXXXX", &path, NULL);
	g_assert_cmpint (fd, >=, 0);
	g_unlink (path);
	const guint8 *p = data;
	while (n > 0) {
		ssize_t w = write (fd, p, n);
		g_assert_cmpint (w, >, 0);
		p += w;
		n -= w;
	}
	g_assert_cmpint (lseek (fd, 0, SEEK_SET), ==, 0);
	return fd;
}

/* filterout_write's output for in: whole in memory (streamed FALSE), or
 * the first `have` bytes in memory and the rest from a file. */
static GBytes *
run (const char *name, const char *value, const guint8 *in, gsize n, gboolean streamed, gsize have)
{
	static FilterOut o; /* large */
	int out = file_with ("", 0);
	int rest = streamed ? file_with (in + have, n - have) : -1;
	g_assert_true (filterout_write (&o, out, rest, in, streamed ? have : n, streamed, name, value));
	off_t size = lseek (out, 0, SEEK_END);
	guint8 *buf = g_malloc (size + 1);
	g_assert_cmpint (pread (out, buf, size, 0), ==, size);
	close (out);
	if (rest >= 0)
		close (rest);
	return g_bytes_new_take (buf, size);
}

static void
assert_bytes (GBytes *got, const void *want, gsize want_len, const char *what)
{
	gsize n;
	const guint8 *p = g_bytes_get_data (got, &n);
	if (n != want_len || memcmp (p, want, n) != 0) {
		/* (at most 300 bytes of each: windows are large) */
		g_autofree char *gs = g_strndup ((const char *) p, MIN (n, 300));
		g_autofree char *ws = g_strndup (want, MIN (want_len, 300));
		g_autofree char *g = g_strescape (gs, NULL);
		g_autofree char *w = g_strescape (ws, NULL);
		g_error ("%s:\n got: %s\nwant: %s", what, g, w);
	}
}

static GByteArray *
expected (const Case *c, const char *name, const char *value)
{
	GByteArray *a = g_byte_array_new ();
	if (c->prefix)
		g_byte_array_append (a, (const guint8 *) c->prefix, strlen (c->prefix));
	g_byte_array_append (a, (const guint8 *) name, strlen (name));
	g_byte_array_append (a, (const guint8 *) ": ", 2);
	g_byte_array_append (a, (const guint8 *) value, strlen (value));
	g_byte_array_append (a, (const guint8 *) c->eol, strlen (c->eol));
	g_byte_array_append (a, (const guint8 *) c->want, strlen (c->want));
	return a;
}

static void
test_cases (void)
{
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		const Case *c = &cases[i];
		g_autoptr (GByteArray) want = expected (c, NAME, VALUE);
		g_autofree char *what = g_strdup_printf ("case %u, in memory", i);
		g_autoptr (GBytes) got = run (NAME, VALUE, (const guint8 *) c->in, case_len (c), FALSE, 0);
		assert_bytes (got, want->data, want->len, what);
		g_autoptr (GBytes) streamed = run (NAME, VALUE, (const guint8 *) c->in, case_len (c), TRUE, 0);
		g_free (what);
		what = g_strdup_printf ("case %u, streamed", i);
		assert_bytes (streamed, want->data, want->len, what);
	}
}

/* A header name of the config's, and a folded value. */
static void
test_name_and_fold (void)
{
	static const char in[] = "X-Bounce-Class: legit\nx-bounce-class :\n legit\nX-NDR-Verdict: kept\n\n";
	static const char want[] = "X-Bounce-Class: forged; kind=dsn;\n\ttests=A\nX-NDR-Verdict: kept\n\n";
	g_autoptr (GBytes) got = run ("X-Bounce-Class", "forged; kind=dsn;\n\ttests=A", (const guint8 *) in,
	                              sizeof in - 1, FALSE, 0);
	assert_bytes (got, want, sizeof want - 1, "custom name, folded value");
	static const char in2[] = "A: b\r\n\r\n";
	static const char want2[] = "X-NDR-Verdict: x;\r\n\ty\r\nA: b\r\n\r\n";
	g_autoptr (GBytes) got2 = run (NAME, "x;\n\ty", (const guint8 *) in2, sizeof in2 - 1, FALSE, 0);
	assert_bytes (got2, want2, sizeof want2 - 1, "a fold in the input's CRLF");
}

/* Every case again behind a kept field that fills the window but for k
 * bytes, for every k: the window ends inside the case at every byte. */
static void
test_window_ends (void)
{
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		const Case *c = &cases[i];
		gsize n = case_len (c);
		if (c->prefix != NULL || n == 0 || c->in[0] == '\n' || c->in[0] == '\r')
			continue; /* a From line or a leading line end must come first */
		/* the padding ends in the case's own line end */
		const char *eol = c->eol;
		gsize elen = strlen (eol);
		for (gsize k = 0; k <= n; k++) {
			gsize pad = FILTEROUT_WINDOW - k;
			g_autoptr (GByteArray) in = g_byte_array_sized_new (pad + n);
			g_byte_array_set_size (in, pad);
			memset (in->data, 'a', pad);
			memcpy (in->data, "X-Pad: ", 7);
			memcpy (in->data + pad - elen, eol, elen);
			g_byte_array_append (in, (const guint8 *) c->in, n);
			g_autoptr (GBytes) whole = run (NAME, VALUE, in->data, in->len, FALSE, 0);
			g_autoptr (GBytes) streamed = run (NAME, VALUE, in->data, in->len, TRUE, k % 3 ? 0 : in->len / 2);
			gsize wn;
			const guint8 *w = g_bytes_get_data (whole, &wn);
			g_autofree char *what = g_strdup_printf ("case %u, window ending %" G_GSIZE_FORMAT " bytes into it", i, k);
			assert_bytes (streamed, w, wn, what);
			/* and the whole one is the case's own output behind the pad */
			g_autoptr (GByteArray) want = expected (c, NAME, VALUE);
			g_assert_cmpuint (wn, ==, want->len + in->len - n);
			g_assert_true (memcmp (w + wn - strlen (c->want), c->want, strlen (c->want)) == 0);
		}
	}
}

/* A line start undecided past the window: streamed, it is taken to be
 * ours; in memory it is decided on all of it. Here "X-NDR-", 200,000 CRs
 * and "Subject:" is no field of ours to any reader. */
static void
test_undecided_past_window (void)
{
	g_autoptr (GByteArray) in = g_byte_array_new ();
	g_byte_array_append (in, (const guint8 *) "From: a\nX-NDR-", 14);
	g_byte_array_set_size (in, 14 + 200000);
	memset (in->data + 14, '\r', 200000);
	static const char rest[] = "Subject: x\nTo: b\n\nbody\n";
	g_byte_array_append (in, (const guint8 *) rest, sizeof rest - 1);
	g_autoptr (GBytes) whole = run (NAME, VALUE, in->data, in->len, FALSE, 0);
	g_assert_cmpuint (g_bytes_get_size (whole), ==, strlen (NAME ": " VALUE "\n") + in->len);
	g_autoptr (GBytes) streamed = run (NAME, VALUE, in->data, in->len, TRUE, 0);
	static const char want[] = NAME ": " VALUE "\nFrom: a\nTo: b\n\nbody\n";
	assert_bytes (streamed, want, sizeof want - 1, "undecided past the window");
}

/* The reader went away: FALSE, and no SIGPIPE (filter ignores it). */
static void
test_reader_gone (void)
{
	signal (SIGPIPE, SIG_IGN);
	int p[2];
	g_assert_cmpint (pipe (p), ==, 0);
	close (p[0]);
	static FilterOut o;
	static const char in[] = "Subject: a\n\nbody\n";
	g_assert_false (filterout_write (&o, p[1], -1, (const guint8 *) in, sizeof in - 1, FALSE, NAME, VALUE));
	close (p[1]);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/filterout/cases", test_cases);
	g_test_add_func ("/filterout/name-and-fold", test_name_and_fold);
	g_test_add_func ("/filterout/window-ends", test_window_ends);
	g_test_add_func ("/filterout/undecided-past-window", test_undecided_past_window);
	g_test_add_func ("/filterout/reader-gone", test_reader_gone);
	return g_test_run ();
}
