/* filterout — what `filter` writes: the input with the verdict header
 * inserted and every field of that name the sender wrote taken out.
 *
 * The header goes first (after a leading mbox "From " line, which gets a
 * line end when it has none), in the input's line ending: "\r\n" or "\n"
 * as the first LF is written, "\r" when there is no LF at all.
 *
 * "The top-level header" is the union of where procmail, maildrop and
 * Dovecot read header fields in the output, as they behave (procmail
 * 3.22, maildrop 2.9, Dovecot 2.3; tests/cli/filter-preset.test feeds
 * them the output):
 *  - procmail ends it only at an empty line in LF terms (LF LF), so in a
 *    CRLF message it runs until the first LF LF, usually the end;
 *    maildrop and Dovecot end it no later (maildrop at a line that is
 *    empty once every CR is removed, Dovecot at LF LF or LF CR LF);
 *  - all three split lines at LF only; maildrop removes every CR first,
 *    so CRs anywhere in a name are invisible to it; Dovecot allows blanks
 *    before the colon and compares names as C strings (up to a NUL).
 * So in that region an LF line (one ending in LF) whose start reads NAME
 * (any case, CRs ignored), then blanks or CRs, then ':' or a NUL is
 * removed whole, with its continuation lines (first byte other than CR a
 * blank). And as a defence for readers that also end lines at a lone CR,
 * as long as no empty line was seen in that sense: a stretch after a
 * lone CR that reads NAME, blanks, ':' or NUL is removed from that CR up
 * to the next CR or LF, with continuation stretches; should that stretch
 * start where the LF line's own start is still undecided (a prefix of
 * the name), the whole LF line goes, since removing the stretch could
 * join its two sides into a field of our name. Everything else is
 * written byte for byte.
 *
 * Async-signal-safe (the fatal-signal handler of `filter` writes with
 * it): no allocation, no stdio, only read(2), write(2) and the state in
 * the FilterOut the caller provides (static storage in `filter`: it is
 * large). One FilterOut writes one message. */
#ifndef NDRSIFT_FILTEROUT_H
#define NDRSIFT_FILTEROUT_H

#include <glib.h>

#define FILTEROUT_CHUNK (64u * 1024)
/* The lookahead of the streamed path: a line start undecided for longer
 * (the name and more than this many CRs or blanks) is taken to be ours. */
#define FILTEROUT_WINDOW (2 * FILTEROUT_CHUNK)

typedef struct {
	/* set by filterout_write */
	int fd;
	const char *name, *value, *eol;
	gsize name_len;
	gboolean failed;      /* a write failed: the reader went away */
	/* the writer's state between buffers */
	int phase;
	gboolean lf_mode;     /* eol ends in LF */
	gboolean at_line;     /* at the start of an LF line */
	gboolean line_drop;   /* dropping an LF line, up to its LF */
	gboolean cont_drop;   /* the last LF line was dropped: continuations too */
	gboolean cr_active;   /* no empty line yet where lone CRs end lines */
	gboolean seg_start;   /* just after a lone CR (or the header's CR) */
	gboolean seg_drop;    /* dropping the stretch since the last lone CR */
	gboolean sep_owed;    /* a lone CR held back, written before kept text */
	gsize nout;
	guint8 out[FILTEROUT_CHUNK];
	guint8 window[FILTEROUT_WINDOW];
} FilterOut;

/* Writes to out_fd the message made of `have` (n bytes) and then, when
 * more, of what in_fd still holds (read to its end), with "NAME: VALUE"
 * inserted as above; a "\n" in value is written as a fold (the line end
 * and the tab that follows it in value). Returns: FALSE when a write
 * failed (the rest of in_fd is then left unread). */
gboolean filterout_write (FilterOut *o, int out_fd, int in_fd, const guint8 *have, gsize n, gboolean more,
                          const char *name, const char *value);

/* The line end the header gets for input that starts with p: see above. */
const char *filterout_line_end (const guint8 *p, gsize n);

#endif
