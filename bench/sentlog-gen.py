# sentlog-gen.py -- the synthetic sent log of bench/filter.sh and
# bench/milter.sh, written to stdout.
#
#   sentlog-gen.py records N SAMPLE_JSONL
#       N jsonl records (doc/design.md's import format): servers mx1 and
#       mx2, origin auth, one recipient each, spread over 2026; then, for
#       every other distinct Message-ID the originals of SAMPLE_JSONL (the
#       output of `ndrsift scan --format jsonl` over the sampled bounces)
#       quote, a record of it (so that lookups both hit and miss)
#   sentlog-gen.py heartbeats
#       heartbeat lines of mx1 and mx2 (ndrsift-heartbeat, as contrib's
#       timer writes them, Postfix format) every 50 minutes, inside the
#       default max_gap of an hour, from 1990 to 2030: coverage of every
#       corpus date, so that a miss is judged (MSGID_NOT_SENT), not left to
#       coverage (LOG_NOT_COVERING)
import json, sys, time


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def records(n, sample):
    w = sys.stdout.write
    start = 1767225600          # 2026-01-01T00:00:00Z
    span = 365 * 86400
    last = None
    for i in range(n):
        t = start + i * span // n
        if t != last:
            ts, last = stamp(t), t
        srv = "mx1" if i & 1 else "mx2"
        w('{"time":"%s","server":"%s","queue_id":"Q%08X","message_id":"<%08x.%d@mail.example.com>",'
          '"sender":"user%d@example.com","recipients":["dest%d@remote%d.example"],"status":"sent","origin":"auth"}\n'
          % (ts, srv, i, (i * 2654435761) & 0xffffffff, i, i % 5000, i % 10000, i % 97))
    ids = []
    for line in open(sample, encoding="utf-8"):
        o = json.loads(line).get("original") or {}
        if o.get("message_id"):
            ids.append(o["message_id"])
    for k, mid in enumerate(sorted(set(ids))[::2]):
        w(json.dumps({"time": "2026-06-01T00:00:00Z", "server": "mx1", "queue_id": "S%06d" % k, "message_id": mid,
                      "sender": "user1@example.com", "recipients": [], "status": "sent", "origin": "auth"}) + "\n")


def heartbeats():
    w = sys.stdout.write
    for t in range(631152000, 1893456000 + 1, 3000):
        ts = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))
        w("%s mx1 ndrsift-heartbeat: heartbeat\n%s mx2 ndrsift-heartbeat: heartbeat\n" % (ts, ts))


if sys.argv[1] == "records":
    records(int(sys.argv[2]), sys.argv[3])
elif sys.argv[1] == "heartbeats":
    heartbeats()
else:
    sys.exit("usage: sentlog-gen.py records N SAMPLE_JSONL | heartbeats")
