/* limits.h — every bound ndrsift puts on hostile input, in one place.
 *
 * Bounces are written by whoever forged them. Every loop over input
 * data is capped by one of these numbers; past a cap the parser records
 * a fact ("truncated: ...") and carries on with what it has, so a hostile
 * message degrades the verdict, never the process. */
#ifndef NDRSIFT_LIMITS_H
#define NDRSIFT_LIMITS_H

/* Bytes of one message that are parsed. The rest is still passed through
 * by `filter`, but not looked at: real bounces are far smaller. */
#define NS_MAX_MESSAGE_BYTES (16u * 1024 * 1024)

/* Content-Type header lines in one message. Each nesting level needs one,
 * so this bounds GMime's own recursion as well as the part count: the
 * message is cut before the line past this bound. */
#define NS_MAX_CONTENT_TYPES 256

/* Distinct "--X" lines considered when a multipart's declared boundary
 * never occurs and the real one is looked for in its prologue. */
#define NS_MAX_RESNIFF_CANDIDATES 1024

/* Lines starting with "--" (each MIME part needs one) and header field
 * lines in the headers GMime may read (the message's own, and any after a
 * "--" line: each field is a GObject to GMime) in one message: it is cut
 * before the line past either. GMime builds
 * every part it reads, not only those the walk visits. Real bounces stay
 * far below both. */
#define NS_MAX_BOUNDARY_LINES 2048
#define NS_MAX_FIELD_LINES 20000

/* MIME nesting levels our walk descends (message/rfc822 inside multipart
 * inside ...). Deeper parts are not visited. */
#define NS_MAX_MIME_DEPTH 16

/* MIME parts visited in one message. */
#define NS_MAX_MIME_PARTS 512

/* Bytes of a multipart boundary that mimesplit reads (RFC 2046 allows 70);
 * a longer one sends the message to GMime's parser. */
#define NS_MAX_SPLIT_BOUNDARY 200

/* Failure reports quoted inside failure reports that are read to find
 * the message that failed (a bounce forwarded, wrapped by a gateway, or
 * re-sent as text: each level is one more parse of the quoted message).
 * Deeper, no original is named. */
#define NS_MAX_NESTED_REPORTS 4

/* Bytes of a quoted report (a message/rfc822 part) that such a parse
 * reads: its original's header is near its top. */
#define NS_MAX_NESTED_REPORT_BYTES (1024u * 1024)

/* Headers kept from one header block (the bounce's or the original's). */
#define NS_MAX_HEADERS 256

/* Bytes of one header value kept; longer values are cut. */
#define NS_MAX_HEADER_VALUE 8192

/* Charsets whose converters stay loaded once a header has used them
 * (headers.c, pin_charsets); a longer name is never one. */
#define NS_MAX_PINNED_CHARSETS 64
#define NS_MAX_CHARSET_NAME 64

/* Received lines of the original parsed into hops. */
#define NS_MAX_RECEIVED_HOPS 64

/* Per-recipient groups read from one delivery-status report. */
#define NS_MAX_DSN_RECIPIENTS 256

/* Bytes of a delivery-status part that are parsed. */
#define NS_MAX_DSN_BYTES (256u * 1024)

/* Decoded text of the bounce kept for the inline search and body rules. */
#define NS_MAX_TEXT_BYTES (512u * 1024)

/* Bytes of text the `body` patterns of *.formats look at when deciding
 * the MTA family: the family's wording is always near the top. */
#define NS_MAX_FORMAT_BODY_BYTES (8u * 1024)

/* Lines of an inline quoted header block; the block ends there. */
#define NS_MAX_INLINE_HEADER_LINES 400

/* Matches of one separator or first-header pattern tried in one text. */
#define NS_MAX_MARKER_MATCHES 16

/* The longest [filter] deadline_ms, and filter's deadline until the
 * config is read: Dovecot gives a Sieve filter program 10 s. */
#define NS_MAX_DEADLINE_MS 8000

/* Log import: the longest line read; open rows of a queue ID older than
 * this many days are closed (queue IDs are reused). */
#define NS_MAX_LOG_LINE 16384
#define NS_SENTLOG_OPEN_DAYS 30

/* Log import: the messages done lately that a line delivered twice (RELP
 * after a lost acknowledgement, a restart of the central rsyslogd) is
 * recognised against, instead of starting a new message. A line comes
 * again within the forwarders' unacknowledged window (omrelp's 128 lines
 * each, some 25 messages): room for a few hundred MTA hosts. */
#define NS_SENTLOG_RECENT_DONE 8192

/* Log import: open messages (queue IDs not yet seen leaving the queue)
 * kept in memory, some 400 bytes each. Sendmail and Exchange never log
 * that a message is done: past this many, the one whose last line is
 * the oldest is written as it is and set aside, and a later line of it
 * finds its row in the database (sentlog.h "Joining"), which costs an
 * indexed look-up: a queue far bigger than this is still imported
 * right, a little slower. */
#define NS_SENTLOG_MAX_OPEN 10000

/* The importer's SQLite page cache, in KiB. A batch writes its index
 * entries in key order, which needs few pages cached at once; the rest
 * of an import's memory is the batch's entries (NS_SENTLOG_BATCH_ENTRIES)
 * and NS_SENTLOG_MAX_OPEN open messages: under 64 MB resident in all
 * (bench/import.sh). */
#define NS_SENTLOG_CACHE_KIB 16384

/* Readers of a WAL sent log map up to this many bytes of it into memory
 * (SQLite's PRAGMA mmap_size; its own ceiling is 2 GiB - 64 KiB, some
 * 20 M messages); pages past it are read with pread(). Address space
 * only: the pages are the kernel's page cache, shared by every reader. */
#define NS_SENTLOG_MMAP_BYTES 2147418112

/* malloc keeps this much free at the top of its heap, made present at
 * start (src/prefault.h): about what a `filter` run writes to its heap. */
#define NS_PREFAULT_HEAP_BYTES (384 * 1024)

/* Log import: index entries (a Message-ID, a recipient: 16 bytes each)
 * a batch keeps in memory until its checkpoint writes them in key order
 * (sentlog.c write_pending, sorted in place): the more, the fewer pages
 * of a big index each one costs (bench/README, import.sh). 32 MB; some
 * 900,000 jsonl records of 1.2 recipients. */
#define NS_SENTLOG_BATCH_ENTRIES 2000000

/* Coverage (doc/design.md "Coverage"): the default [sentlog] max_gap, in
 * seconds. Postfix writes no periodic line of its own, rsyslog's immark
 * writes one every 20 minutes, contrib's heartbeat every 10: an hour
 * tolerates two lost marks, and bounds how long a stretch of log could be
 * lost without a trace. */
#define NS_SENTLOG_MAX_GAP 3600

/* log stats: the joined spans shown per server (the latest ones) unless
 * --all is given. */
#define NS_STATS_SPANS 20

/* A log source is recognised by its first bytes and by the bytes before
 * its checkpoint, this many of each (sentlog.h "Checkpoints"): more than
 * an Exchange log's header block, and some lines of any log. */
#define NS_SOURCE_ID_BYTES 4096

/* Rules: how many, and how deep a meta expression may nest. */
#define NS_MAX_RULES 2048
#define NS_MAX_META_DEPTH 32

/* Rule and format files. */
#define NS_MAX_RULE_LINE 4096
#define NS_MAX_FORMAT_PATTERNS 1024
/* Samples one *.formats family may name (each parsed by `rules check`). */
#define NS_MAX_FORMAT_SAMPLES 16
/* Family priorities: 0 to this; families without one get the default. */
#define NS_FORMAT_MAX_PRIORITY 999
#define NS_FORMAT_DEFAULT_PRIORITY 500

/* PCRE2 limits for every pattern run on message data. */
#define NS_PCRE2_MATCH_LIMIT 100000
#define NS_PCRE2_DEPTH_LIMIT 1000
#define NS_PCRE2_HEAP_LIMIT_KB 1024

/* Messages kept in flight by `scan` per worker thread, and handed to a
 * worker at once. The window is deep enough that a worker still has work
 * while the reading thread waits for a core (three threads share two):
 * a worker that runs dry sleeps, and waking it costs more than a message.
 * Their bytes are bounded too: past NS_SCAN_WINDOW_BYTES the reading
 * thread waits, so at most that plus one message is held. */
#define NS_SCAN_QUEUE_PER_JOB 128
#define NS_SCAN_BATCH 16
#define NS_SCAN_WINDOW_BYTES (32u * 1024 * 1024)

/* Legit bounces listed one by one in scan's summary; the rest are only
 * counted. */
#define NS_MAX_SUMMARY_LEGIT 10000

/* ndrsift milter (src/milter.c). Connections judged at once: past it the
 * messages of a connection go on unjudged (logged; the sender's verdict
 * headers are still removed); Postfix starts at most 100
 * smtpd processes per service by default. Worker threads that judge: one
 * per core, at least 2, at most NS_MILTER_MAX_WORKERS. Messages waiting
 * for a worker: past it a message goes on unjudged (reason=busy). Bytes of
 * messages held for judging, all connections together: a message that
 * would go past it goes on unjudged (reason=memory); ten messages of
 * NS_MAX_MESSAGE_BYTES fit. Distinct envelope recipients a message is
 * judged for: with more it is never rejected or held. */
#define NS_MILTER_MAX_CONNECTIONS 256
#define NS_MILTER_MAX_WORKERS 8
#define NS_MILTER_MAX_QUEUE 256
#define NS_MILTER_MAX_HELD_BYTES (256u * 1024 * 1024)
#define NS_MILTER_MAX_RECIPIENTS 16

/* ndrsift serve (serve.h), the resident judge filter asks. A unix
 * socket's path: sun_path's size, with its NUL. Connections judged at
 * once: one worker each; more wait in the queue, and past it they are
 * refused (the filter judges itself). A connection gets NS_SERVE_IO_MS to
 * send its request and take the reply: a client that stalls loses its
 * worker, not the server. The reply's value: a verdict header's value is
 * about 200 bytes; the rules' names bound it. filter waits for the server
 * at most this share of its deadline, then judges itself in the rest. */
#define NS_MAX_SOCKET_PATH 108
#define NS_SERVE_MAX_WORKERS 8
#define NS_SERVE_MAX_QUEUE 64
#define NS_SERVE_IO_MS 5000
#define NS_SERVE_MAX_VALUE 4096
#define NS_SERVE_CLIENT_SHARE 2 /* 1/2 of [filter] deadline_ms */

#endif
