/* address — mail addresses compared the way doc/design.md "Verdict policy" says:
 * angle brackets and blanks dropped, the domain lower-cased, a BATV
 * "prvs=TAG=" wrapper and SRS0/SRS1 rewriting undone, and the extension
 * after a recipient delimiter removed (VERP return paths of our own lists
 * are "list+user=host@domain": the extension goes with it).
 *
 * address_first() reads the first mailbox of a header value with GMime's
 * RFC 5322 parser, or directly when the value is a plain "a@b",
 * "<a@b>" or "Name <a@b>".
 *
 * Ownership: both return a new string (transfer full). */
#ifndef NDRSIFT_ADDRESS_H
#define NDRSIFT_ADDRESS_H

#include <glib.h>

/* delimiters: the characters that start an extension (Postfix's
 * recipient_delimiter may list several), or NULL/"" for none.
 * Returns: (transfer full) the normalised address; "" for the null
 * sender "<>"; NULL for NULL. */
char *address_normalise (const char *address, const char *delimiters);

/* Returns: (transfer full) the first mailbox address of a header value
 * ("Name <a@b>, c@d" -> "a@b"), or NULL when there is none. */
char *address_first (const char *value);

#endif
