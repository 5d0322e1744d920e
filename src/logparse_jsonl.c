/* logparse_jsonl — doc/design.md's jsonl import format, one record a line:
 *
 *   {"time":"2026-11-27T10:00:01Z","server":"mx1","queue_id":"4Xb2",
 *    "message_id":"<a1@example.com>","sender":"alice@example.com",
 *    "recipients":["bob@remote.example"],"status":"sent","origin":"auth"}
 *
 * `time` (RFC 3339) is required; `server` defaults to --server, else this
 * host; `recipients` may be empty; `origin` is local (the default), auth,
 * network or foreign; unknown keys are ignored. Anything else wrong is a
 * malformed line, said with the reason.
 *
 * Parsed with json-glib's JsonParser, one kept per LogParser and reused
 * for every line, with the array the recipients are gathered in: what a
 * line allocates is the parser's tree, freed by the next line. The
 * parser is a mutable one: an immutable tree is walked once more to be
 * sealed, and nothing here keeps the tree past its line. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "logparse-private.h" /* the parser's layout; calls go to logline.h */
#include "datetime.h"

typedef struct {
	JsonParser *parser;
	GPtrArray *rcpts;       /* the line's recipients, NULL-terminated (not owned) */
} JsonlState;

static void
state_free (gpointer data)
{
	JsonlState *st = data;
	g_object_unref (st->parser);
	g_ptr_array_unref (st->rcpts);
	g_free (st);
}

static JsonlState *
state (LogParser *p)
{
	if (p->state == NULL) {
		JsonlState *st = g_new (JsonlState, 1);
		st->parser = json_parser_new ();
		st->rcpts = g_ptr_array_new ();
		p->state = st;
		p->state_free = state_free;
	}
	return p->state;
}

/* A string member, or NULL; FALSE when present but not a string. */
static gboolean
string_member (JsonObject *o, const char *name, const char **out, GError **error)
{
	*out = NULL;
	JsonNode *n = json_object_get_member (o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL (n))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "\"%s\" must be a string", name);
		return FALSE;
	}
	*out = json_node_get_string (n);
	return TRUE;
}

static gboolean
jsonl_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit, gpointer user_data,
                     GError **error)
{
	gsize blank = 0;
	while (blank < len && g_ascii_isspace (line[blank]))
		blank++;
	if (blank == len)
		return TRUE; /* an empty line is no record */

	JsonlState *st = state (p);
	g_autoptr (GError) local = NULL;
	if (!json_parser_load_from_data (st->parser, line, len, &local)) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "not JSON: %s", local->message);
		return FALSE;
	}
	JsonNode *root = json_parser_get_root (st->parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "not a JSON object");
		return FALSE;
	}
	JsonObject *o = json_node_get_object (root);

	const char *time_text, *server, *queue_id, *message_id, *sender, *status, *origin_text;
	if (!string_member (o, "time", &time_text, error) || !string_member (o, "server", &server, error) ||
	    !string_member (o, "queue_id", &queue_id, error) ||
	    !string_member (o, "message_id", &message_id, error) ||
	    !string_member (o, "sender", &sender, error) || !string_member (o, "status", &status, error) ||
	    !string_member (o, "origin", &origin_text, error))
		return FALSE;

	LogEvent ev = { .type = LOG_EVENT_RECORD };
	if (time_text == NULL || datetime_parse_rfc3339 (time_text, strlen (time_text), &ev.time) != strlen (time_text)) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "\"time\" must be an RFC 3339 time stamp");
		return FALSE;
	}
	static const struct { const char *name; LogOrigin origin; } origins[] = {
		{ "local", LOG_ORIGIN_LOCAL }, { "auth", LOG_ORIGIN_AUTH },
		{ "network", LOG_ORIGIN_NETWORK }, { "foreign", LOG_ORIGIN_FOREIGN },
	};
	ev.origin = origin_text ? LOG_ORIGIN_UNKNOWN : LOG_ORIGIN_LOCAL;
	for (guint i = 0; origin_text && i < G_N_ELEMENTS (origins); i++)
		if (strcmp (origin_text, origins[i].name) == 0)
			ev.origin = origins[i].origin;
	if (ev.origin == LOG_ORIGIN_UNKNOWN) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "\"origin\" must be local, auth, network or foreign");
		return FALSE;
	}

	GPtrArray *rcpts = st->rcpts;
	g_ptr_array_set_size (rcpts, 0);
	JsonNode *rn = json_object_get_member (o, "recipients");
	if (rn && !JSON_NODE_HOLDS_NULL (rn)) {
		if (!JSON_NODE_HOLDS_ARRAY (rn)) {
			g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "\"recipients\" must be a list");
			return FALSE;
		}
		JsonArray *a = json_node_get_array (rn);
		for (guint i = 0; i < json_array_get_length (a); i++) {
			JsonNode *e = json_array_get_element (a, i);
			if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING) {
				g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "\"recipients\" must hold strings");
				return FALSE;
			}
			g_ptr_array_add (rcpts, (gpointer) json_node_get_string (e));
		}
	}
	g_ptr_array_add (rcpts, NULL);

	ev.server = server ? server : p->line.server ? p->line.server : p->line.local_host;
	ev.queue_id = queue_id;
	ev.message_id = message_id;
	ev.sender = sender;
	ev.status = status ? status : "sent";
	ev.recipients = (const char *const *) rcpts->pdata;
	emit (&ev, user_data);
	return TRUE;
}

static gboolean
jsonl_detect (const char *head)
{
	while (*head == ' ' || *head == '\t' || *head == '\n' || *head == '\r')
		head++;
	return *head == '{' && strstr (head, "\"time\"") != NULL;
}

const LogFormatOps logparse_jsonl_ops = {
	.name = "jsonl",
	.line = jsonl_line,
	.detect = jsonl_detect,
	.skipped = NULL,
};
