#!/usr/bin/env python3
# import-logs.py FORMAT LINES PATH — a synthetic MTA log for bench/import.sh.
#
# FORMAT: postfix, exim, sendmail, exchange or jsonl; about LINES lines
# (whole messages: it stops at the first message that reaches LINES).
# Every format logs the same kind of traffic: two servers (one for exim
# and exchange, whose logs name none), four messages in five from our
# users (SASL / authenticated / local), one from a foreign client, one to
# three recipients, a deferral now and then that is delivered later,
# plus the lines of each MTA that carry no message. Postfix and Exim say
# when a message leaves the queue; Sendmail and Exchange never do, so
# every message of theirs stays open to the importer. Message-IDs begin
# with a hash, as those of mail clients do (and as the digests of the
# sent log would): their index is written at random places, the
# importer's worst case. Deterministic (seeded), so runs compare.
import random
import sys
import time

fmt, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(7)
ALPHA = "BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
START = 1793577600  # 2026-11-02 00:00:00 UTC: ~20 days of traffic follow


def b62(v, width):
    s = ""
    for _ in range(width):
        s = B62[v % 62] + s
        v //= 62
    return s


def msgid(i, domain):
    """The i-th message's Message-ID, without its angle brackets."""
    return "%08x%08x.%d@%s" % ((i * 2654435761) & 0xffffffff, (i * 40503) & 0xffffffff, i, domain)


def clock(t):
    tm = time.gmtime(START + t)
    return tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec


def postfix(i, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "Nov %2d %02d:%02d:%02d" % (day, hh, mm, ss)
    host = "mx1" if i % 2 else "mx2"
    qid = "4X" + "".join(random.choice(ALPHA) for _ in range(12))
    pid = 1000 + i % 5000
    ours = i % 5 != 0
    ip = "192.0.2.%d" % (i % 250 + 1) if ours else "203.0.113.%d" % (i % 250 + 1)
    user = "user%d" % (i % 5000)
    out.append("%s %s postfix/smtpd[%d]: connect from client%d.example.com[%s]" % (stamp, host, pid, i % 999, ip))
    out.append("%s %s postfix/smtpd[%d]: %s: client=client%d.example.com[%s]%s" % (
        stamp, host, pid, qid, i % 999, ip, ", sasl_method=PLAIN, sasl_username=%s" % user if ours else ""))
    out.append("%s %s postfix/cleanup[%d]: %s: message-id=<%s>" % (stamp, host, pid + 1, qid, msgid(i, "example.com")))
    rcpts = 1 + (i % 7 == 0) + (i % 13 == 0)
    out.append("%s %s postfix/qmgr[900]: %s: from=<%s@example.com>, size=%d, nrcpt=%d (queue active)" % (
        stamp, host, qid, user, 2000 + i % 50000, rcpts))
    for r in range(rcpts):
        out.append("%s %s postfix/smtp[%d]: %s: to=<dest%d@remote%d.example>, relay=mx.remote%d.example[198.51.100.%d]:25,"
                   " delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %X)" % (
                       stamp, host, pid + 2, qid, (i + r) % 10000, i % 97, i % 97, i % 250 + 1, i))
    out.append("%s %s postfix/qmgr[900]: %s: removed" % (stamp, host, qid))
    out.append("%s %s postfix/smtpd[%d]: disconnect from client%d.example.com[%s] ehlo=1 auth=1 mail=1 rcpt=1 data=1"
               " quit=1 commands=6" % (stamp, host, pid, i % 999, ip))
    if i % 10 == 0:
        out.append("%s %s postfix/anvil[77]: statistics: max connection rate 2/60s for (smtp:%s) at %s" % (
            stamp, host, ip, stamp))


def exim(i, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "2026-11-%02d %02d:%02d:%02d" % (day, hh, mm, ss)
    qid = "%s-%s-%s" % (b62(START + t, 6), b62(i % 238328, 6), b62(i // 238328, 2))
    ours = i % 5 != 0
    ip = "192.0.2.%d" % (i % 250 + 1) if ours else "203.0.113.%d" % (i % 250 + 1)
    user = "user%d" % (i % 5000)
    port = 587 if ours else 25
    out.append("%s SMTP connection from client%d.example.com [%s]:%d I=[192.0.2.10]:%d (TCP/IP connection count = 1)" % (
        stamp, i % 999, ip, 40000 + i % 20000, port))
    out.append("%s %s <= %s@example.com H=client%d.example.com [%s]:%d I=[192.0.2.10]:%d P=%s X=TLS1.3:TLS_AES_256_GCM_SHA384:256"
               " CV=no%s S=%d id=%s T=\"Report %d\"" % (
                   stamp, qid, user, i % 999, ip, 40000 + i % 20000, port, "esmtpsa" if ours else "esmtps",
                   " A=dovecot_plain:%s" % user if ours else "", 2000 + i % 50000, msgid(i, "example.com"), i))
    rcpts = 1 + (i % 7 == 0) + (i % 13 == 0)
    for r in range(rcpts):
        out.append("%s %s %s dest%d@remote%d.example R=dnslookup T=remote_smtp H=mx.remote%d.example [198.51.100.%d]"
                   " X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 Ok: queued as %X\"" % (
                       stamp, qid, "=>" if r == 0 else "->", (i + r) % 10000, i % 97, i % 97, i % 250 + 1, i))
    out.append("%s %s Completed" % (stamp, qid))
    out.append("%s SMTP connection from client%d.example.com [%s]:%d I=[192.0.2.10]:%d closed by QUIT" % (
        stamp, i % 999, ip, 40000 + i % 20000, port))


def sendmail(i, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "Nov %2d %02d:%02d:%02d" % (day, hh, mm, ss)
    host = "out" if i % 2 else "mx1"
    # Sendmail 8.12+: YMDhmm ss + a sequence + the pid: unique.
    qid = "x4R%s%06d" % (b62(i, 5), i % 1000000)
    pid = 2000 + i % 30000
    ours = i % 5 != 0
    ip = "192.0.2.%d" % (i % 250 + 1) if ours else "203.0.113.%d" % (i % 250 + 1)
    user = "user%d" % (i % 5000)
    rcpts = 1 + (i % 7 == 0) + (i % 13 == 0)
    out.append("%s %s sm-mta[%d]: STARTTLS=server, relay=client%d.example.com [%s], version=TLSv1.3, verify=NO,"
               " cipher=TLS_AES_256_GCM_SHA384, bits=256/256" % (stamp, host, pid, i % 999, ip))
    if ours:
        out.append("%s %s sm-mta[%d]: %s: AUTH=server, relay=client%d.example.com [%s], authid=%s, mech=PLAIN, bits=0" % (
            stamp, host, pid, qid, i % 999, ip, user))
    out.append("%s %s sm-mta[%d]: %s: from=<%s@example.com>, size=%d, class=0, nrcpts=%d, msgid=<%s>,"
               " bodytype=8BITMIME, proto=%s, daemon=MTA, relay=client%d.example.com [%s]" % (
                   stamp, host, pid, qid, user, 2000 + i % 50000, rcpts, msgid(i, "example.com"),
                   "ESMTPSA" if ours else "ESMTPS",
                   i % 999, ip))
    to = ",".join("<dest%d@remote%d.example>" % ((i + r) % 10000, i % 97) for r in range(rcpts))
    deferred = i % 50 == 0
    out.append("%s %s sm-mta[%d]: %s: to=%s, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=%d,"
               " relay=mx.remote%d.example. [198.51.100.%d], dsn=%s, stat=%s" % (
                   stamp, host, pid + 1, qid, to, 120000 + i % 50000, i % 97, i % 250 + 1,
                   "4.0.0" if deferred else "2.0.0",
                   "Deferred: Connection refused by mx.remote%d.example." % (i % 97) if deferred
                   else "Sent (OK id=%X)" % i))
    return (qid, host, to) if deferred else None


def sendmail_retry(pending, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "Nov %2d %02d:%02d:%02d" % (day, hh, mm, ss)
    qid, host, to = pending
    out.append("%s %s sm-mta[%d]: %s: to=%s, delay=00:30:00, xdelay=00:00:01, mailer=esmtp, pri=300000,"
               " relay=mx.remote.example. [198.51.100.7], dsn=2.0.0, stat=Sent (OK)" % (stamp, host, 9000, qid, to))


EX_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,"
             "event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
             "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,"
             "return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,"
             "transport-traffic-type,log-id,schema-version")


def exchange_header(out):
    out.append("#Software: Microsoft Exchange Server")
    out.append("#Version: 15.0.0.0")
    out.append("#Log-type: Message Tracking Log")
    out.append("#Date: 2026-11-02T00:00:00.000Z")
    out.append("#Fields: " + EX_FIELDS)


def exchange(i, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "2026-11-%02dT%02d:%02d:%02d.%03dZ" % (day, hh, mm, ss, i % 1000)
    iid = 100000 + i
    ours = i % 5 != 0
    user = "user%d" % (i % 5000)
    mid = "<%s>" % msgid(i, "EXCH1.corp.example.com")
    net = "%08x-4f0d-4a7e-08dd-%012x" % (i, i * 7919)
    rcpts = ["dest%d@remote%d.example" % ((i + r) % 10000, i % 97) for r in range(1 + (i % 7 == 0) + (i % 13 == 0))]
    tail = "Email,,15.02.1118.007"
    if ours:
        out.append("%s,192.0.2.10,EXCH1.corp.example.com,192.0.2.10,EXCH1.corp.example.com,\"MDB:5c1d2e3f-0a1b-4c2d-9e8f,"
                   " Mailbox:1a2b3c4d-5e6f, Event:%d, MessageClass:IPM.Note, ClientType:OWA\",,STOREDRIVER,RECEIVE,%d,%s,%s,"
                   "%s,%s,%d,%d,,,\"Report %d, draft\",%s@example.com,%s@example.com,04I:,Originating,,192.0.2.31,,,%s" % (
                       stamp, i, iid, mid, net, ";".join(rcpts), ";".join("To" for _ in rcpts), 2000 + i % 50000,
                       len(rcpts), i, user, user, tail))
    else:
        out.append("%s,203.0.113.%d,mail%d.example.net,192.0.2.10,EXCH1.corp.example.com,08DD0E2F3A4B5C7E;%s;0,"
                   "EXCH1\\Default Frontend EXCH1,SMTP,RECEIVE,%d,%s,%s,%s,,%d,%d,,,Invoice %d,billing@example.net,"
                   "bounces+%d@example.net,08J:,Incoming,,203.0.113.%d,,,%s" % (
                       stamp, i % 250 + 1, i % 999, stamp, iid, mid, net, ";".join(rcpts), 2000 + i % 50000,
                       len(rcpts), i, i, i % 250 + 1, tail))
    out.append("%s,,EXCH1.corp.example.com,,,,,AGENT,AGENTINFO,%d,%s,%s,%s,,%d,%d,,,Report %d,%s@example.com,"
               "%s@example.com,,Originating,,,,S:AMA=SUM|v=0|action=|error=|atch=1,%s" % (
                   stamp, iid, mid, net, rcpts[0], 2000 + i % 50000, len(rcpts), i, user, user, tail))
    for r in rcpts:
        out.append("%s,192.0.2.10,EXCH1.corp.example.com,198.51.100.%d,mx.remote%d.example,250 2.0.0 OK %d;"
                   "ClientSubmitTime:%s,Internet,SMTP,SEND,%d,%s,%s,%s,250 2.0.0 OK,%d,1,,,Report %d,%s@example.com,"
                   "%s@example.com,%s,Originating,,192.0.2.31,192.0.2.10,,%s" % (
                       stamp, i % 250 + 1, i % 97, i, stamp, iid, mid, net, r, 2100 + i % 50000, i, user, user, stamp,
                       tail))


def jsonl(i, t, out):
    day, hh, mm, ss = clock(t)
    stamp = "2026-11-%02dT%02d:%02d:%02dZ" % (day, hh, mm, ss)
    rcpts = ",".join("\"dest%d@remote%d.example\"" % ((i + r) % 10000, i % 97)
                     for r in range(1 + (i % 7 == 0) + (i % 13 == 0)))
    out.append("{\"time\":\"%s\",\"server\":\"mx%d\",\"queue_id\":\"4X%010d\",\"message_id\":\"<%s>\","
               "\"sender\":\"user%d@example.com\",\"recipients\":[%s],\"status\":\"sent\",\"origin\":\"%s\"}" % (
                   stamp, 1 + i % 2, i, msgid(i, "example.com"), i % 5000, rcpts, "auth" if i % 5 else "foreign"))


gen = {"postfix": postfix, "exim": exim, "sendmail": sendmail, "exchange": exchange, "jsonl": jsonl}[fmt]
written = 0
t = 0
i = 0
pending = []
with open(path, "w") as f:
    out = []
    if fmt == "exchange":
        exchange_header(out)
    while written + len(out) < n:
        i += 1
        t += random.randint(0, 1)
        late = gen(i, t, out)
        if late:
            pending.append((t + 1800, late))
        while pending and pending[0][0] <= t:
            sendmail_retry(pending.pop(0)[1], t, out)
        if len(out) >= 10000:
            written += len(out)
            f.write("\n".join(out) + "\n")
            out = []
    f.write("\n".join(out) + "\n" if out else "")
