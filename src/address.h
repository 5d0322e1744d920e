/* address — mail addresses compared the way doc/design.md "Verdict policy" says:
 * angle brackets and blanks dropped, the domain lower-cased, a BATV
 * "prvs=TAG=" wrapper and SRS0/SRS1 rewriting undone, and the extension
 * after a recipient delimiter removed (VERP return paths of our own lists
 * are "list+user=host@domain": the extension goes with it).
 *
 * String work only, below both the bounce parser and the sent log: no
 * GMime, no header reading (the first mailbox of a header value is
 * headers_first_address(), include/ndrsift/headers.h).
 *
 * Limits: one pass per wrapper; only the first BATV or SRS wrapper is
 * undone.
 *
 * Ownership: returns a new string (transfer full). */
#ifndef NDRSIFT_ADDRESS_H
#define NDRSIFT_ADDRESS_H

#include <glib.h>

/* delimiters: the characters that start an extension (Postfix's
 * recipient_delimiter may list several), or NULL/"" for none.
 * Returns: (transfer full) the normalised address; "" for the null
 * sender "<>"; NULL for NULL. */
char *address_normalise (const char *address, const char *delimiters);

#endif
