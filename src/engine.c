/* engine — see include/ndrsift/engine.h. */
#include <sys/stat.h>

#include "ndrsift/engine.h"
#include "msg.h"
#include "rulefiles.h"
#include "textbounce.h"

struct _Engine {
	gint refs;
	guint serial;           /* tells engines apart, even at a reused address */
	Config *config;
	gboolean facts;
	VerdictContext *ctx;
};

/* What the built-ins need of [local] (verdict.h VerdictUnset). */
static const char unset_domains[] = "[local] domains is not set";
static const char unset_hosts[] = "[local] networks and relays are not set";

/* A missing or unreadable sent log is said once per process, never fatal. */
static gint log_said;

/* ---- each thread's sent log ---------------------------------------------- */

/* Each thread's read-only connection to the sent log, and the file it was
 * opened on: a long-running judge (the milter) must see a log that was
 * replaced by a rename (a restored backup, a rebuilt database) or that
 * appeared after it started. One stat() a message that needs it tells. */
typedef struct {
	guint serial;
	SentLog *log;
	gboolean tried;
	dev_t dev;              /* of the path when it was tried; 0 and 0: missing */
	ino_t ino;
} ThreadLog;

static void
thread_log_free (gpointer data)
{
	ThreadLog *t = data;
	sentlog_close (t->log);
	g_free (t);
}

static GPrivate thread_log = G_PRIVATE_INIT (thread_log_free);

/* VerdictSentLogFunc: the calling thread's log for the Engine. */
static SentLog *
sentlog_for_thread (gpointer data)
{
	const Engine *engine = data;
	ThreadLog *t = g_private_get (&thread_log);
	if (t == NULL || t->serial != engine->serial) {
		t = g_new0 (ThreadLog, 1);
		t->serial = engine->serial;
		g_private_replace (&thread_log, t);
	}
	const char *path = engine->config->sentlog_path;
	struct stat st;
	gboolean exists = stat (path, &st) == 0;
	dev_t dev = exists ? st.st_dev : 0;
	ino_t ino = exists ? st.st_ino : 0;
	if (t->tried && (dev != t->dev || ino != t->ino)) {
		/* Another file (or none) at the path now: open that one. */
		sentlog_close (t->log);
		t->log = NULL;
		t->tried = FALSE;
	}
	if (!t->tried) {
		t->tried = TRUE;
		t->dev = dev;
		t->ino = ino;
		g_autoptr (GError) error = NULL;
		t->log = sentlog_open (path, FALSE, &error);
		/* Without a log what needs it is unknown (SENTLOG_ABSENT). */
		if (t->log == NULL && g_atomic_int_compare_and_exchange (&log_said, 0, 1))
			msg_warning (NULL, "%s; sent-log evidence is unknown", error->message);
		/* Read without its WAL: said once too. */
		else if (t->log && sentlog_notice (t->log) && g_atomic_int_compare_and_exchange (&log_said, 0, 1))
			msg_notice (NULL, "%s", sentlog_notice (t->log));
	}
	return t->log;
}

/* ---- start-up -------------------------------------------------------------- */

/* Says each message once per process (a reload does not repeat them). */
static void
say_once (gint *said, GPtrArray *messages)
{
	if (messages->len == 0 || !g_atomic_int_compare_and_exchange (said, 0, 1))
		return;
	for (guint i = 0; i < messages->len; i++)
		msg_notice (NULL, "%s", (const char *) g_ptr_array_index (messages, i));
}

static gboolean
any_set (char **list)
{
	for (guint i = 0; list && list[i]; i++)
		if (list[i][0])
			return TRUE;
	return FALSE;
}

Engine *
engine_new (Config *config, gboolean facts, GError **error)
{
	static gint dirs_said, settings_said, serials;
	g_autoptr (Config) owned = config;
	bounce_init ();

	g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
	g_autofree const char **dirs = rulefiles_dirs (owned, notices);
	say_once (&dirs_said, notices);
	g_autoptr (TextbounceFormats) formats = textbounce_formats_load (dirs, error);
	if (formats == NULL)
		return NULL;
	g_autoptr (Rules) rules = rules_load (dirs, error);
	if (rules == NULL)
		return NULL;

	/* What cannot be judged is said, once, as a missing sent log is. A
	 * built-in whose [local] input is unset does not fire; with no rules
	 * nothing is judged (verdict.c). */
	VerdictUnset unset = { 0 };
	if (!any_set (owned->local_domains))
		unset.domains = unset_domains;
	if ((owned->networks == NULL || owned->networks->len == 0) && !any_set (owned->local_relays))
		unset.hosts = unset_hosts;
	g_autoptr (GPtrArray) unjudged = g_ptr_array_new_with_free_func (g_free);
	if (rules_count (rules) == 0)
		g_ptr_array_add (unjudged, g_strdup ("no rules (no *.rules file in the rule directories): "
		                                     "every verdict is error; reason=no-rules"));
	verdict_unset_notices (rules, &unset, unjudged);
	say_once (&settings_said, unjudged);

	Engine *e = g_new0 (Engine, 1);
	e->refs = 1;
	e->serial = (guint) g_atomic_int_add (&serials, 1) + 1;
	e->facts = facts;
	e->config = g_steal_pointer (&owned);
	VerdictSetup setup = {
		.config = e->config, .formats = g_steal_pointer (&formats), .rules = g_steal_pointer (&rules),
		.unset = unset, .facts = facts, .sentlog = sentlog_for_thread, .sentlog_data = e,
	};
	e->ctx = verdict_context_new (&setup);
	return e;
}

Engine *
engine_reload (const Engine *engine, GError **error)
{
	Config *config = config_reload (engine->config, error);
	if (config == NULL)
		return NULL;
	return engine_new (config, engine->facts, error);
}

Engine *
engine_ref (Engine *engine)
{
	g_atomic_int_inc (&engine->refs);
	return engine;
}

void
engine_unref (Engine *engine)
{
	if (engine == NULL || !g_atomic_int_dec_and_test (&engine->refs))
		return;
	/* The context points into the config: it goes first. */
	verdict_context_free (engine->ctx);
	config_free (engine->config);
	g_free (engine);
}

const Config *
engine_config (const Engine *engine)
{
	return engine->config;
}

Verdict *
engine_judge (const Engine *engine, GBytes *message, gboolean truncated, const VerdictEnvelope *envelope)
{
	Verdict *v = verdict_judge (engine->ctx, message, truncated, envelope);
	if (v->sentlog_error && g_atomic_int_compare_and_exchange (&log_said, 0, 1))
		msg_warning (NULL, "%s; sent-log evidence is unknown", v->sentlog_error);
	return v;
}

char *
engine_header_value (const Engine *engine, const Verdict *v)
{
	return verdict_header_value (v, engine->config->verdict_header);
}
