/* test-mailbox — the mailbox iterator on fixtures built at run time in a
 * temporary directory: mbox (LF, CRLF, CR, gzip, corrupt gzip, FIFO),
 * Maildir and Maildir++, MH, plain directories, single files, errors, and
 * the NS_MAX_MESSAGE_BYTES cap. "-" (stdin) is left to the CLI tests. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "ndrsift/limits.h"
#include "mailbox.h"
#include "maildir.h"

#define CAP ((gsize) NS_MAX_MESSAGE_BYTES)

static char *tmpdir;

/* ---- helpers ------------------------------------------------------------ */

static char *
fixture (const char *name)
{
	return g_build_filename (tmpdir, name, NULL);
}

static void
write_file (const char *path, const void *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_file_set_contents (path, data, (gssize) len, &error);
	g_assert_no_error (error);
}

static void
write_str (const char *path, const char *text)
{
	write_file (path, text, strlen (text));
}

static void
make_dirs (const char *path)
{
	g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
}

static char *
lf_to_crlf (const char *text)
{
	GString *out = g_string_new (NULL);
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			g_string_append_c (out, '\r');
		g_string_append_c (out, *p);
	}
	return g_string_free (out, FALSE);
}

static gint64
offset_of (const char *haystack, const char *needle)
{
	const char *p = strstr (haystack, needle);
	g_assert_nonnull (p);
	return p - haystack;
}

static GPtrArray *
collect (const char *const *paths, gboolean recursive, guint64 *bytes_read)
{
	g_autoptr(MailboxIter) it = mailbox_iter_new (paths, recursive);
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) mailbox_message_free);
	MailboxMessage *msg;
	while ((msg = mailbox_iter_next (it)) != NULL)
		g_ptr_array_add (out, msg);
	/* the end is sticky */
	g_assert_null (mailbox_iter_next (it));
	if (bytes_read != NULL)
		*bytes_read = mailbox_iter_bytes_read (it);
	return out;
}

static GPtrArray *
collect1 (const char *path, gboolean recursive)
{
	const char *paths[] = { path, NULL };
	return collect (paths, recursive, NULL);
}

static void
assert_msg_len (MailboxMessage *msg, const char *source, gint64 offset,
                const char *data, gsize len)
{
	g_assert_nonnull (msg);
	g_assert_no_error (msg->error);
	g_assert_cmpstr (msg->source, ==, source);
	g_assert_cmpint (msg->offset, ==, offset);
	g_assert_nonnull (msg->data);
	gsize n;
	const void *p = g_bytes_get_data (msg->data, &n);
	g_assert_cmpmem (p, n, data, len);
	g_assert_false (msg->truncated);
}

static void
assert_msg (MailboxMessage *msg, const char *source, gint64 offset, const char *data)
{
	assert_msg_len (msg, source, offset, data, strlen (data));
}

static void
assert_error (MailboxMessage *msg, const char *source)
{
	g_assert_nonnull (msg);
	g_assert_cmpstr (msg->source, ==, source);
	g_assert_null (msg->data);
	g_assert_nonnull (msg->error);
	g_assert_true (msg->error->domain == G_FILE_ERROR || msg->error->domain == G_IO_ERROR);
	/* the message names the path */
	g_assert_nonnull (strstr (msg->error->message, source));
}

static GBytes *
gzip_bytes (const void *data, gsize len)
{
	g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
	g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));
	g_autoptr(GError) error = NULL;
	g_output_stream_write_all (out, data, len, NULL, NULL, &error);
	g_assert_no_error (error);
	g_output_stream_close (out, NULL, &error);
	g_assert_no_error (error);
	return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
rm_rf (const char *path)
{
	GStatBuf st;
	if (g_lstat (path, &st) != 0)
		return;
	if (S_ISDIR (st.st_mode)) {
		g_chmod (path, 0700);
		GDir *dir = g_dir_open (path, 0, NULL);
		if (dir != NULL) {
			const char *name;
			while ((name = g_dir_read_name (dir)) != NULL) {
				g_autofree char *child = g_build_filename (path, name, NULL);
				rm_rf (child);
			}
			g_dir_close (dir);
		}
		g_rmdir (path);
	} else {
		g_unlink (path);
	}
}

/* ---- mbox ----------------------------------------------------------------- */

static const char MBOX[] =
	"From alice@example.com Mon Jan  1 00:00:00 2024\n"
	"Subject: one\n"
	"\n"
	"Hello\n"
	"From here, not a separator: no empty line before it\n"
	"\n"
	"From bob@example.com Mon Jan  1 00:00:01 2024\n"
	"Subject: two\n"
	"\n"
	">From escaped\n"
	">>From double\n"
	">Fromage stays\n"
	"> From stays too\n"
	"\n"
	"From carol@example.com Mon Jan  1 00:00:02 2024\n"
	"Subject: three\n"
	"\n"
	"last\n";

static const char *const MBOX_MSGS[] = {
	"Subject: one\n\nHello\nFrom here, not a separator: no empty line before it\n",
	"Subject: two\n\nFrom escaped\n>From double\n>Fromage stays\n> From stays too\n",
	"Subject: three\n\nlast\n",
};

static void
check_mbox (const char *path, const char *text, gboolean crlf)
{
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, 3);
	const gint64 offsets[] = {
		0,
		offset_of (text, "From bob@"),
		offset_of (text, "From carol@"),
	};
	for (guint i = 0; i < 3; i++) {
		g_autofree char *want = crlf ? lf_to_crlf (MBOX_MSGS[i]) : g_strdup (MBOX_MSGS[i]);
		assert_msg (msgs->pdata[i], path, offsets[i], want);
	}
}

static void
test_mbox_lf (void)
{
	g_autofree char *path = fixture ("lf.mbox");
	write_str (path, MBOX);
	/* the offsets, written out once */
	g_assert_cmpint (offset_of (MBOX, "From bob@"), ==, 121);
	g_assert_cmpint (offset_of (MBOX, "From carol@"), ==, 242);
	check_mbox (path, MBOX, FALSE);

	guint64 bytes = 0;
	const char *paths[] = { path, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, FALSE, &bytes);
	g_assert_cmpuint (msgs->len, ==, 3);
	g_assert_cmpuint (bytes, ==, strlen (MBOX));
}

static void
test_mbox_crlf (void)
{
	g_autofree char *path = fixture ("crlf.mbox");
	g_autofree char *text = lf_to_crlf (MBOX);
	write_str (path, text);
	g_assert_cmpint (offset_of (text, "From bob@"), ==, 121 + 6);
	g_assert_cmpint (offset_of (text, "From carol@"), ==, 242 + 14);
	check_mbox (path, text, TRUE);
}

static void
test_mbox_cr_only (void)
{
	/* old Mac files: lines end in a lone CR */
	g_autofree char *path = fixture ("cr.mbox");
	write_str (path, "From a@example.com Mon Jan  1 00:00:00 2024\rSubject: one\r\rHi\r\r"
	                 "From b@example.com Mon Jan  1 00:00:01 2024\rSubject: two\r\r>From x\r");
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, 2);
	assert_msg (msgs->pdata[0], path, 0, "Subject: one\r\rHi\r");
	assert_msg (msgs->pdata[1], path, 62, "Subject: two\r\rFrom x\r");
}

static void
test_mbox_gzip (void)
{
	g_autofree char *path = fixture ("box.mbox.gz");
	g_autoptr(GBytes) gz = gzip_bytes (MBOX, strlen (MBOX));
	write_file (path, g_bytes_get_data (gz, NULL), g_bytes_get_size (gz));
	check_mbox (path, MBOX, FALSE);

	guint64 bytes = 0;
	const char *paths[] = { path, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, FALSE, &bytes);
	g_assert_cmpuint (msgs->len, ==, 3);
	/* compressed bytes: the file's position */
	g_assert_cmpuint (bytes, >, 0);
	g_assert_cmpuint (bytes, <=, g_bytes_get_size (gz));

	/* two gzip members, as `cat a.gz b.gz` makes: both are read */
	g_autofree char *multi = fixture ("multi.mbox.gz");
	gsize half = (gsize) offset_of (MBOX, "From bob@") + 3;   /* inside a line */
	g_autoptr(GBytes) gz_a = gzip_bytes (MBOX, half);
	g_autoptr(GBytes) gz_b = gzip_bytes (MBOX + half, strlen (MBOX) - half);
	g_autoptr(GByteArray) cat = g_byte_array_new ();
	g_byte_array_append (cat, g_bytes_get_data (gz_a, NULL), g_bytes_get_size (gz_a));
	g_byte_array_append (cat, g_bytes_get_data (gz_b, NULL), g_bytes_get_size (gz_b));
	write_file (multi, cat->data, cat->len);
	check_mbox (multi, MBOX, FALSE);

	/* zeros after the last member (tape padding) are ignored, as by gzip -d */
	g_autofree char *padded = fixture ("padded.mbox.gz");
	g_byte_array_append (cat, (const guint8 *) "\0\0\0\0\0\0\0\0", 8);
	write_file (padded, cat->data, cat->len);
	check_mbox (padded, MBOX, FALSE);

	/* gzip of one message that is not an mbox: one message, offset -1 */
	g_autofree char *single = fixture ("single.eml.gz");
	g_autoptr(GBytes) gz1 = gzip_bytes ("Subject: x\n\nbody\n", 17);
	write_file (single, g_bytes_get_data (gz1, NULL), g_bytes_get_size (gz1));
	g_autoptr(GPtrArray) one = collect1 (single, FALSE);
	g_assert_cmpuint (one->len, ==, 1);
	assert_msg (one->pdata[0], single, -1, "Subject: x\n\nbody\n");
}

/* A big mbox whose gzip is cut in the middle: the messages before the cut,
 * then one error for that file, then the next path. */
static void
test_mbox_gzip_corrupt (void)
{
	g_autoptr(GString) text = g_string_new (NULL);
	g_autoptr(GRand) rand = g_rand_new_with_seed (7);
	for (int i = 0; i < 400; i++) {
		g_string_append_printf (text, "From m%d@example.com Mon Jan  1 00:00:00 2024\nSubject: %d\n\n", i, i);
		for (int l = 0; l < 20; l++) {
			for (int c = 0; c < 60; c++)
				g_string_append_c (text, 'a' + g_rand_int_range (rand, 0, 26));
			g_string_append_c (text, '\n');
		}
		g_string_append_c (text, '\n');
	}
	g_autoptr(GBytes) gz = gzip_bytes (text->str, text->len);
	gsize gzlen = g_bytes_get_size (gz);

	g_autofree char *cut = fixture ("cut.mbox.gz");
	write_file (cut, g_bytes_get_data (gz, NULL), gzlen / 2);

	/* the same, with garbage in the middle of the deflate data */
	g_autofree char *bad = fixture ("bad.mbox.gz");
	g_autofree guint8 *mangled = g_malloc (gzlen);
	memcpy (mangled, g_bytes_get_data (gz, NULL), gzlen);
	memset (mangled + gzlen / 2, 0xff, 64);
	write_file (bad, mangled, gzlen);

	g_autofree char *notgz = fixture ("notgz.mbox.gz");
	write_str (notgz, "From a\n\nthis is not gzip\n");
	g_autofree char *after = fixture ("after-gz.eml");
	write_str (after, "Subject: after\n\n");

	const char *files[] = { cut, bad };
	for (guint f = 0; f < G_N_ELEMENTS (files); f++) {
		const char *paths[] = { files[f], notgz, after, NULL };
		g_autoptr(GPtrArray) msgs = collect (paths, FALSE, NULL);
		g_assert_cmpuint (msgs->len, >=, 4);
		guint n = msgs->len - 3;   /* whole messages before the damage */
		g_assert_cmpuint (n, >, 10);
		g_assert_cmpuint (n, <, 400);
		for (guint i = 0; i < n; i++) {
			MailboxMessage *m = msgs->pdata[i];
			g_assert_no_error (m->error);
			g_autofree char *subject = g_strdup_printf ("Subject: %u\n", i);
			g_assert_true (g_str_has_prefix (g_bytes_get_data (m->data, NULL), subject));
			g_autofree char *from = g_strdup_printf ("From m%u@", i);
			g_assert_cmpint (m->offset, ==, offset_of (text->str, from));
		}
		MailboxMessage *err = msgs->pdata[n];
		assert_error (err, files[f]);
		/* the error points at the message that was being read */
		g_autofree char *from = g_strdup_printf ("From m%u@", n);
		g_assert_cmpint (err->offset, ==, offset_of (text->str, from));
		assert_error (msgs->pdata[n + 1], notgz);
		assert_msg (msgs->pdata[n + 2], after, -1, "Subject: after\n\n");
	}
}

static void
test_mbox_edges (void)
{
	g_autofree char *path = fixture ("edges.mbox");
	const char *text =
		"From a\n"              /* empty message: the empty line belongs to the next separator */
		"\n"
		"From b\n"              /* a From line right after a From line is data */
		"From c\n"
		"\n"
		"\n"                    /* a message that ends in an empty line keeps it */
		"From d\r\n"            /* a CRLF separator in an LF file */
		"x\n"
		"\n"
		"From e\n"
		"no final newline";
	write_str (path, text);
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, 4);
	assert_msg (msgs->pdata[0], path, 0, "");
	assert_msg (msgs->pdata[1], path, 8, "From c\n\n");
	assert_msg (msgs->pdata[2], path, offset_of (text, "From d"), "x\n");
	assert_msg (msgs->pdata[3], path, offset_of (text, "From e"), "no final newline");

	/* the empty line at the end of the file is the mboxrd writer's, dropped */
	g_autofree char *trail = fixture ("trail.mbox");
	write_str (trail, "From a\nSubject: t\n\nbody\n\n");
	g_autoptr(GPtrArray) t = collect1 (trail, FALSE);
	g_assert_cmpuint (t->len, ==, 1);
	assert_msg (t->pdata[0], trail, 0, "Subject: t\n\nbody\n");

	/* a file that is nothing but a From line */
	g_autofree char *bare = fixture ("bare.mbox");
	write_str (bare, "From nobody");
	g_autoptr(GPtrArray) b = collect1 (bare, FALSE);
	g_assert_cmpuint (b->len, ==, 1);
	assert_msg (b->pdata[0], bare, 0, "");
}

/* mboxrd writer on random messages (long lines, From lines, >From lines,
 * empty messages, From lines longer than the read buffer) must round trip,
 * with LF and with CRLF: that covers lines cut by the buffer's edge. */
static void
roundtrip (const char *eol)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed (42);
	g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GArray) want_off = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_autoptr(GString) box = g_string_new (NULL);
	gsize el = strlen (eol);

	for (int m = 0; m < 300; m++) {
		GString *msg = g_string_new (NULL);
		int lines = g_rand_int_range (rand, 0, 40);
		for (int l = 0; l < lines; l++) {
			switch (g_rand_int_range (rand, 0, 14)) {
			case 0: g_string_append (msg, "From someone in the body"); break;
			case 1: g_string_append (msg, ">From quoted"); break;
			case 2: g_string_append (msg, ">>>From deeper"); break;
			case 3: /* empty line, then a From line: only escaping keeps it */
				g_string_append (msg, eol);
				g_string_append (msg, "From x");
				break;
			case 4: break; /* empty line */
			case 5: g_string_append (msg, "From"); break;
			case 6: g_string_append (msg, ">"); break;
			case 7:
				if (g_rand_int_range (rand, 0, 8) == 0) {
					/* longer than the buffer, sometimes a From line (escaped) */
					if (g_rand_boolean (rand))
						g_string_append (msg, "From long ");
					int n = g_rand_int_range (rand, 60000, 200000);
					for (int c = 0; c < n; c++)
						g_string_append_c (msg, c % 61 == 0 ? ' ' : 'L');
				}
				break;
			case 8: /* a very deep quote */
				for (int c = 0; c < 3000; c++)
					g_string_append_c (msg, '>');
				g_string_append (msg, "From deep");
				break;
			default: {
				int n = g_rand_int_range (rand, 1, 100);
				for (int c = 0; c < n; c++)
					g_string_append_c (msg, "abc defFrom>\t"[g_rand_int_range (rand, 0, 13)]);
			}
			}
			g_string_append (msg, eol);
		}

		gint64 off = (gint64) box->len;
		g_array_append_val (want_off, off);
		if (m % 37 == 5) {
			/* a From line longer than the buffer */
			g_string_append (box, "From ");
			for (int c = 0; c < 100000; c++)
				g_string_append_c (box, 'f');
		} else {
			g_string_append_printf (box, "From sender%d@example.com Sat Jan  1 00:00:00 2000", m);
		}
		g_string_append (box, eol);
		/* mboxrd: a line matching ^>*From  gets one more '>' */
		const char *p = msg->str, *end = msg->str + msg->len;
		while (p < end) {
			const char *nl = strstr (p, eol);
			const char *next = nl ? nl + el : end;
			const char *q = p;
			while (q < next && *q == '>')
				q++;
			if (next - q >= 5 && memcmp (q, "From ", 5) == 0)
				g_string_append_c (box, '>');
			g_string_append_len (box, p, next - p);
			p = next;
		}
		g_string_append (box, eol);
		g_ptr_array_add (want, g_string_free (msg, FALSE));
	}

	g_autofree char *name = g_strdup_printf ("roundtrip-%s.mbox", el == 1 ? "lf" : "crlf");
	g_autofree char *path = fixture (name);
	write_file (path, box->str, box->len);
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, want->len);
	for (guint i = 0; i < want->len; i++)
		assert_msg (msgs->pdata[i], path, g_array_index (want_off, gint64, i), want->pdata[i]);
}

static void
test_mbox_roundtrip_lf (void)
{
	roundtrip ("\n");
}

static void
test_mbox_roundtrip_crlf (void)
{
	roundtrip ("\r\n");
}

/* A message body of exactly n bytes, lines of 100. */
static void
append_body (GString *s, gsize n)
{
	gsize start = s->len;
	while (s->len - start < n) {
		gsize left = n - (s->len - start);
		gsize k = MIN (left, 100);
		for (gsize i = 0; i + 1 < k; i++)
			g_string_append_c (s, 'a' + (char) ((s->len) % 26));
		g_string_append_c (s, '\n');
	}
}

static void
test_mbox_oversized (void)
{
	g_autofree char *path = fixture ("big.mbox");
	g_autoptr(GString) s = g_string_new (NULL);

	g_string_append (s, "From big@example.com\n");
	gsize start_big = s->len;
	append_body (s, 17u * 1024 * 1024);
	g_string_append (s, "\n");

	gint64 off_exact = (gint64) s->len;
	g_string_append (s, "From exact@example.com\n");
	gsize start_exact = s->len;
	append_body (s, CAP);
	g_string_append (s, "\n");

	/* CRLF: the empty line before the separator is two bytes */
	gint64 off_crlf = (gint64) s->len;
	g_string_append (s, "From crlf@example.com\r\n");
	gsize start_crlf = s->len;
	append_body (s, CAP - 3);
	g_string_append (s, "z\r\n\r\n");

	gint64 off_plus1 = (gint64) s->len;
	g_string_append (s, "From plus1@example.com\n");
	gsize start_plus1 = s->len;
	append_body (s, CAP + 1);
	g_string_append (s, "\n");

	gint64 off_small = (gint64) s->len;
	g_string_append (s, "From small@example.com\nSubject: small\n\nhi\n");
	write_file (path, s->str, s->len);

	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_unlink (path);   /* 50 MiB: not left behind if an assertion fails */
	g_assert_cmpuint (msgs->len, ==, 5);

	MailboxMessage *big = msgs->pdata[0];
	g_assert_no_error (big->error);
	g_assert_cmpint (big->offset, ==, 0);
	g_assert_true (big->truncated);
	g_assert_cmpmem (g_bytes_get_data (big->data, NULL), g_bytes_get_size (big->data),
	                 s->str + start_big, CAP);

	assert_msg_len (msgs->pdata[1], path, off_exact, s->str + start_exact, CAP);
	assert_msg_len (msgs->pdata[2], path, off_crlf, s->str + start_crlf, CAP);

	MailboxMessage *plus1 = msgs->pdata[3];
	g_assert_cmpint (plus1->offset, ==, off_plus1);
	g_assert_true (plus1->truncated);
	g_assert_cmpmem (g_bytes_get_data (plus1->data, NULL), g_bytes_get_size (plus1->data),
	                 s->str + start_plus1, CAP);

	assert_msg (msgs->pdata[4], path, off_small, "Subject: small\n\nhi\n");
}

/* ---- single files --------------------------------------------------------- */

static void
test_single_file (void)
{
	g_autofree char *path = fixture ("single.eml");
	const char *text = "Return-Path: <>\nSubject: not an mbox\n\nFrom here on\n\nFrom x\n";
	write_str (path, text);
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, 1);
	assert_msg (msgs->pdata[0], path, -1, text);

	/* shorter than "From " */
	g_autofree char *tiny = fixture ("tiny.eml");
	write_str (tiny, "22\n");
	g_autoptr(GPtrArray) t = collect1 (tiny, FALSE);
	g_assert_cmpuint (t->len, ==, 1);
	assert_msg (t->pdata[0], tiny, -1, "22\n");
}

static void
test_single_empty (void)
{
	g_autofree char *path = fixture ("empty.eml");
	write_str (path, "");
	g_autoptr(GPtrArray) msgs = collect1 (path, FALSE);
	g_assert_cmpuint (msgs->len, ==, 1);
	assert_msg (msgs->pdata[0], path, -1, "");

	g_autofree char *gz = fixture ("empty.eml.gz");
	g_autoptr(GBytes) z = gzip_bytes ("", 0);
	write_file (gz, g_bytes_get_data (z, NULL), g_bytes_get_size (z));
	g_autoptr(GPtrArray) m2 = collect1 (gz, FALSE);
	g_assert_cmpuint (m2->len, ==, 1);
	assert_msg (m2->pdata[0], gz, -1, "");
}

static void
test_single_oversized (void)
{
	g_autoptr(GString) s = g_string_new (NULL);
	append_body (s, CAP + 1);

	g_autofree char *plus1 = fixture ("plus1.eml");
	write_file (plus1, s->str, CAP + 1);
	g_autofree char *exact = fixture ("exact.eml");
	write_file (exact, s->str, CAP);
	g_autofree char *big = fixture ("big.eml");
	g_autoptr(GString) b = g_string_new (NULL);
	append_body (b, 17u * 1024 * 1024);
	write_file (big, b->str, b->len);

	const char *paths[] = { plus1, exact, big, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, FALSE, NULL);
	for (guint i = 0; paths[i] != NULL; i++)
		g_unlink (paths[i]);   /* not left behind if an assertion fails */
	g_assert_cmpuint (msgs->len, ==, 3);
	MailboxMessage *m = msgs->pdata[0];
	g_assert_true (m->truncated);
	g_assert_cmpmem (g_bytes_get_data (m->data, NULL), g_bytes_get_size (m->data), s->str, CAP);
	assert_msg_len (msgs->pdata[1], exact, -1, s->str, CAP);
	m = msgs->pdata[2];
	g_assert_true (m->truncated);
	g_assert_cmpmem (g_bytes_get_data (m->data, NULL), g_bytes_get_size (m->data), b->str, CAP);

	/* under a directory, the skipped "From " line does not count */
	g_autofree char *dir = fixture ("bigdir");
	make_dirs (dir);
	g_autofree char *entry = g_build_filename (dir, "1", NULL);
	g_autoptr(GString) e = g_string_new ("From someone\n");
	g_string_append_len (e, s->str, CAP);
	write_file (entry, e->str, e->len);
	g_autoptr(GPtrArray) d = collect1 (dir, FALSE);
	g_unlink (entry);
	g_assert_cmpuint (d->len, ==, 1);
	assert_msg_len (d->pdata[0], entry, -1, s->str, CAP);
}

/* ---- directories ---------------------------------------------------------- */

static void
test_maildir (void)
{
	g_autofree char *md = fixture ("Maildir");
	const char *const dirs[] = {
		"cur", "new", "tmp", ".Sub/cur", ".Sub/new", ".Sub/tmp", ".NotAFolder", "other/cur",
	};
	for (guint i = 0; i < G_N_ELEMENTS (dirs); i++) {
		g_autofree char *p = g_build_filename (md, dirs[i], NULL);
		make_dirs (p);
	}
	struct { const char *name, *text; } files[] = {
		{ "cur/1001.b:2,", "Subject: b\n\n" },
		{ "cur/1000.a:2,S", "From x\nSubject: a\n\n\nFrom y\n" },
		{ "cur/.hidden", "skipped\n" },
		{ "new/1002.c", "Subject: c\n\n" },
		{ "tmp/1003.t", "Subject: in tmp\n\n" },
		{ ".Sub/cur/2000.d", "Subject: d\n\n" },
		{ ".Sub/new/2001.e", "Subject: e\n\n" },
		{ ".NotAFolder/1", "Subject: no\n\n" },
		{ "other/cur/1", "Subject: no\n\n" },
		{ "stray", "Subject: no\n\n" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree char *p = g_build_filename (md, files[i].name, NULL);
		write_str (p, files[i].text);
	}
	g_autofree char *a = g_build_filename (md, "cur", "1000.a:2,S", NULL);
	g_autofree char *b = g_build_filename (md, "cur", "1001.b:2,", NULL);
	g_autofree char *c = g_build_filename (md, "new", "1002.c", NULL);
	g_autofree char *d = g_build_filename (md, ".Sub", "cur", "2000.d", NULL);
	g_autofree char *e = g_build_filename (md, ".Sub", "new", "2001.e", NULL);

	g_autoptr(GPtrArray) flat = collect1 (md, FALSE);
	g_assert_cmpuint (flat->len, ==, 3);
	assert_msg (flat->pdata[0], a, -1, "Subject: a\n\n\nFrom y\n");
	assert_msg (flat->pdata[1], b, -1, "Subject: b\n\n");
	assert_msg (flat->pdata[2], c, -1, "Subject: c\n\n");

	g_autoptr(GPtrArray) deep = collect1 (md, TRUE);
	g_assert_cmpuint (deep->len, ==, 5);
	assert_msg (deep->pdata[0], a, -1, "Subject: a\n\n\nFrom y\n");
	assert_msg (deep->pdata[1], b, -1, "Subject: b\n\n");
	assert_msg (deep->pdata[2], c, -1, "Subject: c\n\n");
	assert_msg (deep->pdata[3], d, -1, "Subject: d\n\n");
	assert_msg (deep->pdata[4], e, -1, "Subject: e\n\n");

	/* the argument is joined as given: a trailing slash does not double */
	g_autofree char *slash = g_strconcat (md, "/", NULL);
	g_autoptr(GPtrArray) s = collect1 (slash, FALSE);
	g_assert_cmpuint (s->len, ==, 3);
	g_assert_cmpstr (((MailboxMessage *) s->pdata[0])->source, ==, a);
}

static void
test_mh (void)
{
	g_autofree char *mh = fixture ("mh");
	g_autofree char *sub = g_build_filename (mh, "inbox", NULL);
	make_dirs (sub);
	const char *const names[] = { "10", "2", "1", ".mh_sequences" };
	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		g_autofree char *p = g_build_filename (mh, names[i], NULL);
		g_autofree char *text = g_strdup_printf ("Subject: %s\n\n", names[i]);
		write_str (p, text);
	}
	g_autofree char *sub3 = g_build_filename (sub, "3", NULL);
	write_str (sub3, "Subject: 3\n\n");

	g_autoptr(GPtrArray) msgs = collect1 (mh, FALSE);
	g_assert_cmpuint (msgs->len, ==, 3);
	const char *const order[] = { "1", "2", "10" };
	for (guint i = 0; i < 3; i++) {
		g_autofree char *p = g_build_filename (mh, order[i], NULL);
		g_autofree char *text = g_strdup_printf ("Subject: %s\n\n", order[i]);
		assert_msg (msgs->pdata[i], p, -1, text);
	}

	g_autoptr(GPtrArray) deep = collect1 (mh, TRUE);
	g_assert_cmpuint (deep->len, ==, 4);
	assert_msg (deep->pdata[3], sub3, -1, "Subject: 3\n\n");
}

static void
test_plain_dir (void)
{
	g_autofree char *dir = fixture ("plain");
	g_autofree char *sub = g_build_filename (dir, "sub", NULL);
	make_dirs (sub);
	g_autofree char *a = g_build_filename (dir, "a.eml", NULL);
	g_autofree char *b = g_build_filename (dir, "b.eml", NULL);
	g_autofree char *c = g_build_filename (sub, "c.eml", NULL);
	g_autofree char *crlf = g_build_filename (dir, "crlf.eml", NULL);
	g_autofree char *cr = g_build_filename (dir, "cr.eml", NULL);
	g_autofree char *link = g_build_filename (dir, "link.eml", NULL);
	g_autofree char *loop = g_build_filename (dir, "loop", NULL);
	g_autofree char *dot = g_build_filename (dir, ".dot.eml", NULL);
	g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
	write_str (a, "Subject: a\n\n");
	/* a message file with a From line: that line is dropped, the rest is
	 * not split even where an mbox would be */
	write_str (b, "From x@example.com Mon Jan  1 00:00:00 2024\nSubject: b\n\nbody\n\nFrom y\nmore\n");
	write_str (c, "Subject: c\n\n");
	write_str (crlf, "From x\r\nSubject: crlf\r\n\r\n");
	write_str (cr, "From x\rSubject: cr\r\r");
	write_str (dot, "Subject: hidden\n\n");
	g_assert_cmpint (symlink ("a.eml", link), ==, 0);
	g_assert_cmpint (symlink (".", loop), ==, 0);
	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

	g_autoptr(GPtrArray) flat = collect1 (dir, FALSE);
	g_assert_cmpuint (flat->len, ==, 5);
	assert_msg (flat->pdata[0], a, -1, "Subject: a\n\n");
	assert_msg (flat->pdata[1], b, -1, "Subject: b\n\nbody\n\nFrom y\nmore\n");
	assert_msg (flat->pdata[2], cr, -1, "Subject: cr\r\r");
	assert_msg (flat->pdata[3], crlf, -1, "Subject: crlf\r\n\r\n");
	assert_msg (flat->pdata[4], link, -1, "Subject: a\n\n");

	/* recursive: sub/ after the files; the symlinked directory is not entered */
	g_autoptr(GPtrArray) deep = collect1 (dir, TRUE);
	g_assert_cmpuint (deep->len, ==, 6);
	assert_msg (deep->pdata[5], c, -1, "Subject: c\n\n");

	/* a file named on the command line that starts with From is an mbox */
	g_autoptr(GPtrArray) mbox = collect1 (b, FALSE);
	g_assert_cmpuint (mbox->len, ==, 2);
	assert_msg (mbox->pdata[0], b, 0, "Subject: b\n\nbody\n");
}

static void
test_missing (void)
{
	g_autofree char *one = fixture ("one.eml");
	g_autofree char *two = fixture ("two.eml");
	g_autofree char *missing = fixture ("no-such-file");
	g_autofree char *missing_dir = fixture ("no-such-dir/");
	write_str (one, "Subject: one\n\n");
	write_str (two, "Subject: two\n\n");
	const char *paths[] = { one, missing, missing_dir, two, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, TRUE, NULL);
	g_assert_cmpuint (msgs->len, ==, 4);
	assert_msg (msgs->pdata[0], one, -1, "Subject: one\n\n");
	assert_error (msgs->pdata[1], missing);
	g_assert_error (((MailboxMessage *) msgs->pdata[1])->error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_cmpint (((MailboxMessage *) msgs->pdata[1])->offset, ==, -1);
	assert_error (msgs->pdata[2], missing_dir);
	assert_msg (msgs->pdata[3], two, -1, "Subject: two\n\n");

	/* no paths at all */
	const char *none[] = { NULL };
	g_autoptr(GPtrArray) empty = collect (none, FALSE, NULL);
	g_assert_cmpuint (empty->len, ==, 0);
}

static void
check_unreadable (void)
{
	g_autofree char *file = fixture ("locked.eml");
	g_autofree char *dir = fixture ("locked-dir");
	g_autofree char *md = fixture ("locked-md");
	g_autofree char *mdcur = g_build_filename (md, "cur", NULL);
	g_autofree char *mdnew = g_build_filename (md, "new", NULL);
	g_autofree char *ok = g_build_filename (mdnew, "1", NULL);
	g_autofree char *after = fixture ("after.eml");
	write_str (file, "Subject: locked\n\n");
	make_dirs (dir);
	make_dirs (mdcur);
	make_dirs (mdnew);
	write_str (ok, "Subject: new\n\n");
	write_str (after, "Subject: after\n\n");
	g_assert_cmpint (g_chmod (file, 0), ==, 0);
	g_assert_cmpint (g_chmod (dir, 0), ==, 0);
	g_assert_cmpint (g_chmod (mdcur, 0), ==, 0);

	const char *paths[] = { file, dir, md, after, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, FALSE, NULL);
	g_assert_cmpuint (msgs->len, ==, 5);
	assert_error (msgs->pdata[0], file);
	g_assert_error (((MailboxMessage *) msgs->pdata[0])->error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
	assert_error (msgs->pdata[1], dir);
	assert_error (msgs->pdata[2], mdcur);
	assert_msg (msgs->pdata[3], ok, -1, "Subject: new\n\n");
	assert_msg (msgs->pdata[4], after, -1, "Subject: after\n\n");

	g_chmod (file, 0600);
	g_chmod (dir, 0700);
	g_chmod (mdcur, 0700);
}

/* Permissions do not stop root: as root the check runs in a child that
 * has become the user nobody, in a directory of its own. */
static void
test_unreadable (void)
{
	if (geteuid () != 0) {
		check_unreadable ();
		return;
	}
	if (g_test_subprocess ()) {
		struct passwd *pw = getpwnam ("nobody");
		g_assert_nonnull (pw);
		g_assert_cmpint (chown (tmpdir, pw->pw_uid, pw->pw_gid), ==, 0);
		g_assert_cmpint (setgroups (0, NULL), ==, 0);
		g_assert_cmpint (setgid (pw->pw_gid), ==, 0);
		g_assert_cmpint (setuid (pw->pw_uid), ==, 0);
		check_unreadable ();
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed ();
}

static gpointer
fifo_writer (gpointer data)
{
	int fd = open (data, O_WRONLY);
	g_assert_cmpint (fd, >=, 0);
	gsize len = strlen (MBOX);
	for (gsize done = 0; done < len;) {
		/* a few bytes at a time: lines arrive in pieces */
		ssize_t n = write (fd, MBOX + done, MIN (len - done, 7));
		g_assert_cmpint (n, >, 0);
		done += (gsize) n;
	}
	close (fd);
	return NULL;
}

static void
test_fifo (void)
{
	/* a FIFO, as from <(zcat box.gz), is read as a stream */
	g_autofree char *path = fixture ("box.fifo");
	g_assert_cmpint (mkfifo (path, 0600), ==, 0);
	GThread *writer = g_thread_new ("fifo-writer", fifo_writer, path);
	check_mbox (path, MBOX, FALSE);
	g_thread_join (writer);
}

static void
test_bytes_read (void)
{
	g_autofree char *dir = fixture ("counted");
	make_dirs (dir);
	g_autofree char *a = g_build_filename (dir, "a", NULL);
	g_autofree char *b = g_build_filename (dir, "b", NULL);
	write_str (a, "From x\nSubject: a\n\n");   /* the skipped line was read too */
	write_str (b, "Subject: bb\n\n");
	guint64 bytes = 0;
	const char *paths[] = { dir, NULL };
	g_autoptr(GPtrArray) msgs = collect (paths, FALSE, &bytes);
	g_assert_cmpuint (msgs->len, ==, 2);
	g_assert_cmpuint (bytes, ==, 19 + 13);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_autoptr(GError) error = NULL;
	tmpdir = g_dir_make_tmp ("test-mailbox-XXXXXX", &error);
	g_assert_no_error (error);

	g_test_add_func ("/mailbox/mbox/lf", test_mbox_lf);
	g_test_add_func ("/mailbox/mbox/crlf", test_mbox_crlf);
	g_test_add_func ("/mailbox/mbox/cr-only", test_mbox_cr_only);
	g_test_add_func ("/mailbox/mbox/gzip", test_mbox_gzip);
	g_test_add_func ("/mailbox/mbox/gzip-corrupt", test_mbox_gzip_corrupt);
	g_test_add_func ("/mailbox/mbox/edges", test_mbox_edges);
	g_test_add_func ("/mailbox/mbox/roundtrip-lf", test_mbox_roundtrip_lf);
	g_test_add_func ("/mailbox/mbox/roundtrip-crlf", test_mbox_roundtrip_crlf);
	g_test_add_func ("/mailbox/mbox/oversized", test_mbox_oversized);
	g_test_add_func ("/mailbox/mbox/fifo", test_fifo);
	g_test_add_func ("/mailbox/single/plain", test_single_file);
	g_test_add_func ("/mailbox/single/empty", test_single_empty);
	g_test_add_func ("/mailbox/single/oversized", test_single_oversized);
	g_test_add_func ("/mailbox/dir/maildir", test_maildir);
	g_test_add_func ("/mailbox/dir/mh", test_mh);
	g_test_add_func ("/mailbox/dir/plain", test_plain_dir);
	g_test_add_func ("/mailbox/errors/missing", test_missing);
	g_test_add_func ("/mailbox/errors/unreadable", test_unreadable);
	g_test_add_func ("/mailbox/bytes-read", test_bytes_read);

	int rc = g_test_run ();
	rm_rf (tmpdir);
	g_free (tmpdir);
	return rc;
}
