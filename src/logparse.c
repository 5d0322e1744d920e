/* logparse — dispatch to the per-format files through their operations
 * tables, and auto detection. The syslog prefix the formats share is
 * below them, in src/logline.c. See src/logparse.h. */
#include "logparse-private.h"
#include "ndrsift/limits.h"

static const LogFormatOps *const formats[] = {
	[LOG_FORMAT_POSTFIX] = &logparse_postfix_ops,
	[LOG_FORMAT_EXIM] = &logparse_exim_ops,
	[LOG_FORMAT_SENDMAIL] = &logparse_sendmail_ops,
	[LOG_FORMAT_EXCHANGE] = &logparse_exchange_ops,
	[LOG_FORMAT_JSONL] = &logparse_jsonl_ops,
};

/* The most specific first: Exchange's #Fields header and jsonl's braces
 * cannot be mistaken; syslog formats by their programs. */
static const LogFormat detect_order[] = {
	LOG_FORMAT_EXCHANGE, LOG_FORMAT_JSONL, LOG_FORMAT_EXIM, LOG_FORMAT_POSTFIX, LOG_FORMAT_SENDMAIL,
};

int
logparse_format_from_name (const char *name)
{
	if (g_strcmp0 (name, "auto") == 0)
		return LOG_FORMAT_AUTO;
	for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
		if (formats[i] && g_strcmp0 (name, formats[i]->name) == 0)
			return (int) i;
	return -1;
}

LogParser *
logparse_new (LogFormat format, const char *server, gint64 now)
{
	g_return_val_if_fail (format > LOG_FORMAT_AUTO && format < G_N_ELEMENTS (formats), NULL);
	LogParser *p = g_new0 (LogParser, 1);
	p->ops = formats[format];
	logline_init (&p->line, server, now);
	return p;
}

void
logparse_set_now (LogParser *p, gint64 now)
{
	p->line.now = now;
}

void
logparse_free (LogParser *p)
{
	if (p == NULL)
		return;
	if (p->state_free)
		p->state_free (p->state);
	logline_clear (&p->line);
	g_free (p);
}

typedef struct {
	LogEmitFunc emit;
	gpointer user_data;
	guint events;
} Counter;

static void
count_emit (const LogEvent *event, gpointer data)
{
	Counter *c = data;
	c->events++;
	c->emit (event, c->user_data);
}

gboolean
logparse_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit, gpointer user_data,
               GError **error)
{
	if (len > NS_MAX_LOG_LINE) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_TOO_LONG, "line longer than %d bytes", NS_MAX_LOG_LINE);
		return FALSE;
	}
	Counter c = { emit, user_data, 0 };
	p->line.seen = FALSE;
	gboolean ok = p->ops->line (p, line, len, count_emit, &c, error);
	if (ok && c.events == 0 && p->line.seen) {
		LogEvent ev = { .type = LOG_EVENT_SEEN, .time = p->line.seen_time, .server = p->line.seen_server };
		emit (&ev, user_data);
	}
	return ok;
}

gboolean
logparse_reads_skipped (LogParser *p)
{
	return p->ops->skipped != NULL;
}

void
logparse_skipped_line (LogParser *p, const char *line, gsize len)
{
	if (p->ops->skipped && len <= NS_MAX_LOG_LINE)
		p->ops->skipped (p, line, len);
}

LogFormat
logparse_detect (const char *head)
{
	for (guint i = 0; i < G_N_ELEMENTS (detect_order); i++)
		if (formats[detect_order[i]]->detect (head))
			return detect_order[i];
	return LOG_FORMAT_AUTO;
}
