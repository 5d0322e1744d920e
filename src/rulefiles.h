/* rulefiles — the one loader of *.rules and *.formats files, for rules
 * and textbounce (which only say what a line means) and `rules check` /
 * `rules list`: the layered rule directories (the config's, the built-in
 * files in place of a missing shipped one), each file read whole, its
 * lines with "file:line", the words of a line. Also the one reader of a
 * file the config names: config reads its key file through
 * rulefiles_read_file, which refuses what is not a regular file (a FIFO
 * would block the reader, a device never end).
 *
 * Limits: a line is at most NS_MAX_RULE_LINE bytes (limits.h); the
 * number of files is what the directories hold.
 *
 * Ownership: texts read are (transfer full) to the caller; the lines and
 * words handed to a RulefilesLineFunc are (transfer none), cut in place
 * from the text, which its owner keeps: a loader points into it (a
 * family's name, a pattern's text) rather than copying each word. */
#ifndef NDRSIFT_RULEFILES_H
#define NDRSIFT_RULEFILES_H

#include <glib.h>

#include "ndrsift/config.h"

/* The code, in the domain rulefiles_read_lines() is given, of a line longer
 * than NS_MAX_RULE_LINE: every such domain's _LIMIT. */
#define RULEFILES_LINE_TOO_LONG 1

/* The whole of a config or rules file into *text (transfer full,
 * NUL-terminated) and *len. Only a regular file or /dev/null (empty) is
 * read: a FIFO, socket, directory or device is refused at once (opened
 * with O_NONBLOCK, then fstat), with a message that names the file and
 * says what it is. Errors are in G_FILE_ERROR (NOENT when missing). */
gboolean rulefiles_read_file (const char *path, char **text, gsize *len, GError **error);

/* Stands for the built-in rule files (builtin.h) in a list of rule
 * directories; recognised by its address, so no path can be taken for it. */
extern const char rulefiles_builtin[];

/* The rule directories to read, in layering order: config->rules_dirs with
 * rulefiles_builtin in place of the first one (the shipped layer) when
 * that directory does not exist (an uninstalled build, an install without
 * it) or when none is given; later directories that do not exist are
 * skipped when read. notices: (nullable) gets a message (char*) for each
 * directory named by the config file or --rules that does not exist.
 * Returns: (transfer container) a NULL-terminated array; the strings are
 * the config's (or rulefiles_builtin). */
const char **rulefiles_dirs (const Config *config, GPtrArray *notices);

/* How the *.formats and *.rules files of dir (the shipped layer) differ
 * from the built-in ones: one message (char*) a file that differs, is
 * missing, or is not one of them, added to out in name order. */
void rulefiles_builtin_differences (const char *dir, GPtrArray *out);

/* One line of a rule or format file: chomped, never blank or a comment.
 * file, lineno: where it is ("built-in:NAME" for a built-in file); file
 * lives as long as the line. builtin: the line is from a built-in file,
 * or from a file with the very bytes of one; its patterns were compiled
 * when ndrsift was built (`make check`). Returns: FALSE with error
 * (without the location). */
typedef gboolean (*RulefilesLineFunc) (char *line, const char *file, guint lineno, gboolean builtin,
                                       gpointer data, GError **error);

/* Returns: (transfer full) "FILE:LINE", the location messages give. */
char *rulefiles_where (const char *file, guint line);

/* Feeds each line of text (the file `filename`) to func, skipping blank
 * lines and lines whose first non-blank is '#' (only there: patterns may
 * hold it); a line longer than NS_MAX_RULE_LINE is an error. text is cut
 * into lines in place: what func keeps of a line lives as long as text
 * and filename. Errors get the location and the domain `domain`. errors
 * NULL: the first error stops it (into error); otherwise each is added to
 * errors ("file:line: what") and reading goes on. builtin: passed on to
 * func. Returns: TRUE when no line failed. */
gboolean rulefiles_read_lines (const char *filename, char *text, GQuark domain, RulefilesLineFunc func,
                               gboolean builtin, gpointer data, GPtrArray *errors, GError **error);

/* rulefiles_read_lines over every file ending in suffix (".rules",
 * ".formats") of the layered rule directories, in name order: a file in a
 * later directory replaces one of the same name in an earlier one; a
 * missing directory is skipped, one that is not a directory is an error,
 * as is a file that is not a regular one (rulefiles_read_file); names
 * starting with '.' are not read. rulefiles_builtin among dirs stands
 * for the built-in files. keep: (element-type utf8) each file's name and
 * text are added to it (transfer full, freed with g_free), read once and
 * cut in place: the lines and file names func was given live as long as
 * keep's strings. */
gboolean rulefiles_read_layered (const char *const *dirs, const char *suffix, GQuark domain,
                                 RulefilesLineFunc func, gpointer data, GPtrArray *keep, GPtrArray *errors,
                                 GError **error);

/* The next blank-separated word of a line a RulefilesLineFunc is given
 * ("DIRECTIVE NAME rest": what is left after the words keeps its inner
 * blanks, as a pattern may). Cuts the line in place and moves *cursor
 * past the word. Returns: (transfer none) the word, or NULL at the end. */
char *rulefiles_next_word (char **cursor);

/* What is left of a line after its words: cursor without the blanks
 * around it (g_ascii_isspace), cut in place without moving it.
 * Returns: (transfer none) within cursor. */
char *rulefiles_rest (char *cursor);

#endif
