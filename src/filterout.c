/* filterout — filter's output writer. See src/filterout.h.
 *
 * The input goes through process() once, in buffers: the whole input when
 * it is in memory, else windows of FILTEROUT_WINDOW bytes. Every decision
 * (is this line, or this stretch after a lone CR, a field of our name?)
 * is taken on bytes at hand; when they run out before it is taken,
 * process() returns where that line starts and gets it again with more
 * bytes after it. Nothing is written before its fate is known. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "filterout.h"

enum { PH_FROM, PH_HEADER, PH_BODY };
enum { MORE = -1, NOT = 0, OURS = 1 };

static void
raw_write (FilterOut *o, const void *data, gsize n)
{
	const guint8 *p = data;
	while (n > 0 && !o->failed) {
		ssize_t w = write (o->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = TRUE; /* the reader went away: nothing more to do */
			return;
		}
		p += w;
		n -= w;
	}
}

static void
flush (FilterOut *o)
{
	raw_write (o, o->out, o->nout);
	o->nout = 0;
}

static void
put (FilterOut *o, const void *data, gsize n)
{
	if (n > sizeof o->out - o->nout) {
		flush (o);
		if (n >= sizeof o->out) {
			raw_write (o, data, n);
			return;
		}
	}
	memcpy (o->out + o->nout, data, n);
	o->nout += n;
}

/* "NAME: VALUE" and the line end; a "\n" in VALUE is a fold. */
static void
put_header (FilterOut *o)
{
	put (o, o->name, o->name_len);
	put (o, ": ", 2);
	const char *v = o->value;
	for (const char *nl; (nl = strchr (v, '\n')) != NULL; v = nl + 1) {
		put (o, v, nl - v);
		put (o, o->eol, strlen (o->eol));
	}
	put (o, v, strlen (v));
	put (o, o->eol, strlen (o->eol));
}

const char *
filterout_line_end (const guint8 *p, gsize n)
{
	const guint8 *lf = memchr (p, '\n', n);
	if (lf != NULL)
		return lf > p && lf[-1] == '\r' ? "\r\n" : "\n";
	return memchr (p, '\r', n) != NULL ? "\r" : "\n";
}

static gboolean
is_blank (guint8 c)
{
	return c == ' ' || c == '\t';
}

/* The LF line starting at p[i]: NAME (any case, CRs skipped), blanks or
 * CRs, then ':' or NUL. *d: where NOT was decided. */
static int
lf_test (const FilterOut *o, const guint8 *p, gsize i, gsize n, gboolean eof, gsize *d)
{
	gsize j = i;
	for (gsize k = 0; k < o->name_len; k++, j++) {
		while (j < n && p[j] == '\r')
			j++;
		*d = j;
		if (j == n)
			return eof ? NOT : MORE;
		if (g_ascii_tolower (p[j]) != g_ascii_tolower (o->name[k]))
			return NOT;
	}
	while (j < n && (is_blank (p[j]) || p[j] == '\r'))
		j++;
	*d = j;
	if (j == n)
		return eof ? NOT : MORE;
	return p[j] == ':' || p[j] == '\0' ? OURS : NOT;
}

/* The stretch starting at p[s] (after a lone CR): NAME, blanks, ':' or NUL. */
static int
stretch_test (const FilterOut *o, const guint8 *p, gsize s, gsize n, gboolean eof)
{
	gsize j = s;
	for (gsize k = 0; k < o->name_len; k++, j++) {
		if (j == n)
			return eof ? NOT : MORE;
		if (g_ascii_tolower (p[j]) != g_ascii_tolower (o->name[k]))
			return NOT;
	}
	while (j < n && is_blank (p[j]))
		j++;
	if (j == n)
		return eof ? NOT : MORE;
	return p[j] == ':' || p[j] == '\0' ? OURS : NOT;
}

/* An LF line at p[i] that is not ours up to p[d]: OURS when a stretch of
 * ours starts after a lone CR before d, as removing that stretch alone
 * could join what is before and after it into NAME:. */
static int
join_test (const FilterOut *o, const guint8 *p, gsize i, gsize d, gsize n, gboolean eof)
{
	for (gsize c = i; c < d; c++) {
		if (p[c] != '\r')
			continue;
		if (c + 1 == n)
			return eof ? NOT : MORE;
		if (p[c + 1] == '\n' || p[c + 1] == '\r')
			return NOT; /* the line's end, or an empty line for lone-CR readers */
		if (is_blank (p[c + 1]))
			continue; /* a continuation of kept text */
		int r = stretch_test (o, p, c + 1, n, eof);
		if (r != NOT)
			return r;
	}
	return NOT;
}

static void
pay_separator (FilterOut *o)
{
	if (o->sep_owed)
		put (o, "\r", 1);
	o->sep_owed = FALSE;
}

/* A line end (LF or CRLF) ends every stretch; after a From line, the
 * header comes. */
static void
line_end (FilterOut *o, const char *end, gsize len)
{
	put (o, end, len);
	o->sep_owed = o->seg_drop = o->seg_start = FALSE;
	o->at_line = TRUE;
	if (o->phase == PH_FROM) {
		put_header (o);
		o->phase = PH_HEADER;
	}
}

/* Writes what p[0..n) decides. Returns: the bytes consumed; the rest is an
 * undecided start that must come again with more after it. eof: nothing
 * follows p[n-1]. force: what is undecided at n is taken to be ours. */
static gsize
process (FilterOut *o, const guint8 *p, gsize n, gboolean eof, gboolean force)
{
	gsize i = 0;
	while (i < n && !o->failed) {
		if (o->phase == PH_BODY) {
			put (o, p + i, n - i);
			return n;
		}
		if (o->line_drop) {
			const guint8 *lf = memchr (p + i, '\n', n - i);
			if (lf == NULL)
				return n;
			i = lf - p + 1;
			o->line_drop = FALSE;
			o->at_line = TRUE;
			continue;
		}
		if (o->at_line) {
			if (p[i] == '\n') {
				o->phase = PH_BODY; /* LF LF: the end of the header for all */
				continue;
			}
			gsize f = i;
			while (f < n && p[f] == '\r')
				f++;
			if (f == n && !eof && !force)
				return i;
			if (o->cont_drop && f < n && is_blank (p[f])) {
				o->at_line = FALSE; /* a continuation of a dropped field */
				o->line_drop = TRUE;
				continue;
			}
			gsize d;
			int r = lf_test (o, p, i, n, eof, &d);
			if (r == NOT && o->cr_active)
				r = join_test (o, p, i, d, n, eof);
			if (r == MORE) {
				if (!force)
					return i;
				r = OURS;
			}
			o->at_line = FALSE;
			o->cont_drop = r == OURS;
			if (r == OURS) {
				o->line_drop = TRUE;
				continue;
			}
			if (p[i] == '\r')
				o->cr_active = FALSE; /* an empty line to lone-CR readers */
		}
		if (o->seg_start) {
			guint8 c = p[i];
			if (c == '\r' || c == '\n') {
				pay_separator (o); /* an empty line to lone-CR readers */
				o->cr_active = o->seg_drop = FALSE;
			} else if (is_blank (c)) {
				if (!o->seg_drop) /* a continuation: the fate of the stretch before */
					pay_separator (o);
			} else {
				int r = stretch_test (o, p, i, n, eof);
				if (r == MORE) {
					if (!force)
						return i;
					r = OURS;
				}
				o->seg_drop = r == OURS;
				if (!o->seg_drop)
					pay_separator (o);
			}
			o->seg_start = FALSE;
		}
		/* inside a line: up to the next CR or LF */
		gsize j = i;
		while (j < n && p[j] != '\r' && p[j] != '\n')
			j++;
		if (!o->seg_drop)
			put (o, p + i, j - i);
		i = j;
		if (i == n)
			break;
		if (p[i] == '\n') {
			line_end (o, "\n", 1);
			i++;
			continue;
		}
		if (i + 1 == n && !eof)
			return i; /* a CR: is it a CRLF? */
		if (i + 1 < n && p[i + 1] == '\n') {
			line_end (o, "\r\n", 2);
			i += 2;
			continue;
		}
		/* a lone CR */
		i++;
		if (o->phase == PH_FROM && !o->lf_mode) {
			put (o, "\r", 1); /* CR-only: the From line ends here */
			put_header (o);
			o->phase = PH_HEADER;
			o->seg_start = TRUE;
		} else if (!o->cr_active) {
			put (o, "\r", 1);
		} else {
			if (!o->seg_drop)
				o->sep_owed = TRUE; /* written before the next kept text */
			o->seg_start = TRUE;
		}
	}
	return i;
}

/* The line end and the From line, from the first bytes of the input. */
static void
begin (FilterOut *o, const guint8 *p, gsize n)
{
	o->eol = filterout_line_end (p, n);
	o->lf_mode = o->eol[strlen (o->eol) - 1] == '\n';
	o->cr_active = TRUE;
	o->at_line = o->line_drop = o->cont_drop = FALSE;
	o->seg_start = o->seg_drop = o->sep_owed = FALSE;
	o->nout = 0;
	if (n >= 5 && memcmp (p, "From ", 5) == 0) {
		o->phase = PH_FROM;
		return;
	}
	put_header (o);
	o->phase = PH_HEADER;
	/* Without LF the input continues the header's own line for LF
	 * readers: its start is a stretch after a CR. */
	if (o->lf_mode)
		o->at_line = TRUE;
	else
		o->seg_start = TRUE;
}

static void
end (FilterOut *o)
{
	pay_separator (o);
	if (o->phase == PH_FROM) {
		put (o, o->eol, strlen (o->eol)); /* a From line alone, without a line end */
		put_header (o);
	}
	flush (o);
}

gboolean
filterout_write (FilterOut *o, int out_fd, int in_fd, const guint8 *have, gsize n, gboolean more,
                 const char *name, const char *value)
{
	o->fd = out_fd;
	o->name = name;
	o->name_len = strlen (name);
	o->value = value;
	o->failed = FALSE;
	if (!more) {
		begin (o, have, n);
		process (o, have, n, TRUE, FALSE);
		end (o);
		return !o->failed;
	}
	/* Streamed: through the window, so that every decision has its
	 * lookahead. */
	gsize len = 0;
	gboolean begun = FALSE;
	for (;;) {
		while (len < FILTEROUT_WINDOW && (n > 0 || more)) {
			if (n > 0) {
				gsize k = MIN (n, FILTEROUT_WINDOW - len);
				memcpy (o->window + len, have, k);
				have += k;
				n -= k;
				len += k;
				continue;
			}
			ssize_t r = read (in_fd, o->window + len, FILTEROUT_WINDOW - len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				more = FALSE; /* the end, or an error: what was read is written */
				break;
			}
			len += r;
		}
		gboolean eof = n == 0 && !more;
		if (!begun) {
			begin (o, o->window, len);
			begun = TRUE;
		}
		gsize c = process (o, o->window, len, eof, FALSE);
		if (c == 0 && len == FILTEROUT_WINDOW)
			c = process (o, o->window, len, eof, TRUE);
		memmove (o->window, o->window + c, len - c);
		len -= c;
		if (o->failed || eof)
			break;
	}
	end (o);
	return !o->failed;
}
