/* msgid — Message-IDs in one normal form, for every side that compares
 * them: the sent log's import and `log record`, the lookup of a bounce's
 * quoted original, and the parser's own checks.
 *
 * A value is read as RFC 5322 msg-id with its obsolete forms: comments
 * and folding white space around and inside it ("<id@x> (added by
 * relay)", "< a . b @ x >"), quoted local parts, domain literals. Angle
 * brackets may be missing (logs often drop them). The normal form is
 * "local@domain": the local part exactly as meant (a quoted local part
 * unquoted when it needs no quotes, "\"a\".b" and "a.b" being the same),
 * the domain lower-cased (RFC 5322: domains compare without case). An id
 * without "@" ("Message-ID: 20140913142357", as some software writes it
 * and Postfix logs it) keeps its one part as written. A value that is no single
 * Message-ID (empty, two ids, an unbalanced bracket or quote, a stray
 * character) is garbage: NULL, which callers treat as no Message-ID at
 * all, never as an id that was not sent.
 *
 * Limits: one pass over the value, no recursion (comment nesting is a
 * counter); values come bounded by their source (NS_MAX_HEADER_VALUE,
 * NS_MAX_LOG_LINE).
 *
 * Ownership: msgid_normalise returns a new string
 * (transfer full). */
#ifndef NDRSIFT_MSGID_H
#define NDRSIFT_MSGID_H

#include <glib.h>

/* Returns: (transfer full) the normal form of a Message-ID header value
 * or logged id, or NULL when value is NULL, empty or garbage. */
char *msgid_normalise (const char *value);

/* The domain part of a normalised Message-ID ("x.example" for the
 * normal form of "<a@X.Example>"). Returns: (transfer none) a pointer
 * into normal, or NULL when it has none. */
const char *msgid_normal_domain (const char *normal);

#endif
