# milter-client.py — the SMTP side of tests/e2e/milter.test: it writes the
# bounces, sends them to Postfix over parallel connections, and checks what
# was delivered. Standard library only (smtplib).
#
#   gen DIR ID N TIME     N distinct DSNs from mx.remote.test to alice, each
#                         quoting an original of its own dated TIME (epoch):
#                         DIR/out/legit-K.eml, alice's originals (sent for
#                         real, so that her MX logs them), DIR/bounce/legit-K.eml
#                         their bounces (the first half), DIR/bounce/forged-K.eml
#                         bounces of originals never sent (the other half)
#   dsn FILE MSGID TIME [forged] [EXTRA_HEADER]
#                         one such bounce
#   send PORT OUT [--conns N] [--from ADDR] [--to ADDR] [--source IP]
#        [--until FILE] [--kill PID] PATH...
#                         sends each file (a directory: its files) as one
#                         message, the files dealt out to N parallel SMTP
#                         connections (default 1), each connection sending
#                         its share in turn; --until: again and again until
#                         FILE exists (at most 60 s; a message every 50 ms
#                         on each connection); --kill: the first
#                         message's header and half its body, then SIGKILL
#                         to PID, then the rest. OUT gets one JSON line per
#                         message: file, SMTP code, reply, queue ID.
#   check OUT MAILDIR...  matches each message of OUT that was queued (code
#                         250) with what was delivered into the Maildirs (by
#                         the queue ID of ours' Received field) and prints
#                         one line: sent, queued, tempfailed (4xx), rejected
#                         (5xx), failed (no reply), delivered, lost,
#                         duplicated, the count of messages with 0, 1 and
#                         more X-NDR-Verdict fields, and per verdict word;
#                         then "mismatch FILE: ..." for each message whose
#                         file name starts with a verdict word (legit-,
#                         forged-) and whose header says another.
#   untouched OUT MAILDIR DIR
#                         for each queued message of OUT: the delivered copy
#                         is the file of DIR as sent, but for the fields
#                         Postfix puts on top (Return-Path, X-Original-To,
#                         Delivered-To, its Received); prints "untouched N" or what differs.
import json, os, re, signal, smtplib, sys, threading, time, zlib


def rfc(t):
    return time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(t))


def original(msgid, t, forged):
    # As mx.remote.test received it: from alice's MX, or from the spammer
    # (at a public address: a loopback hop is no hand-off, and without one
    # the moment judged is the bounce's arrival, which the log has not
    # covered yet when the milter judges).
    hop = ('spammer.example (spammer.example [198.51.100.7])' if forged
           else 'mx.ourdomain.test (localhost [127.0.0.1])')
    return ('Received: from %s\n\tby mx.remote.test (Postfix) with ESMTP id 4Zr%s;\n\t%s\n'
            'Message-ID: %s\nFrom: Alice <alice@ourdomain.test>\nTo: <sink@remote.test>\n'
            'Subject: e2e %s\nDate: %s\n\nHello.\n' % (hop, zlib.crc32(msgid.encode()), rfc(t), msgid, msgid, rfc(t)))


def dsn(msgid, t, forged, extra=''):
    return (extra + 'From: MAILER-DAEMON@mx.remote.test (Mail Delivery System)\n'
            'To: alice@ourdomain.test\nSubject: Undelivered Mail Returned to Sender\n'
            'Message-ID: <dsn.%s\nDate: %s\nMIME-Version: 1.0\n'
            'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="B1"\n\n'
            '--B1\nContent-Type: text/plain\n\nThis is the mail system at host mx.remote.test.\n\n'
            '<sink@remote.test>: user unknown\n\n'
            '--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.remote.test\n\n'
            'Final-Recipient: rfc822; sink@remote.test\nAction: failed\nStatus: 5.1.1\n\n'
            '--B1\nContent-Type: message/rfc822\n\n%s--B1--\n'
            % (msgid.lstrip('<'), rfc(t + 1), original(msgid, t, forged)))


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def gen(d, ident, n, t):
    os.makedirs(os.path.join(d, 'out'), exist_ok=True)
    os.makedirs(os.path.join(d, 'bounce'), exist_ok=True)
    for k in range(n):
        forged = k >= n // 2
        word = 'forged' if forged else 'legit'
        msgid = '<load-%d.%s@ourdomain.test>' % (k, ident)
        if not forged:
            write(os.path.join(d, 'out', 'legit-%d.eml' % k),
                  'From: Alice <alice@ourdomain.test>\nTo: <sink@remote.test>\nSubject: e2e %s\n'
                  'Message-ID: %s\nDate: %s\n\nHello.\n' % (msgid, msgid, rfc(t)))
        write(os.path.join(d, 'bounce', '%s-%d.eml' % (word, k)), dsn(msgid, t, forged))


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p))
        else:
            out.append(p)
    return out


def crlf(data):
    # SMTP lines end in CRLF; a lone CR or LF would be read differently by
    # each server.
    return data.replace(b'\r\n', b'\n').replace(b'\r', b'\n').replace(b'\n', b'\r\n')


QUEUED = re.compile(r'queued as ([0-9A-Za-z]+)')


def send(argv):
    port, out = int(argv[0]), argv[1]
    opts = {'--conns': '1', '--from': '', '--to': 'alice@ourdomain.test', '--source': '127.0.0.2',
            '--until': None, '--kill': None}
    rest = argv[2:]
    paths = []
    while rest:
        if rest[0] in opts:
            opts[rest[0]] = rest[1]
            rest = rest[2:]
        else:
            paths.append(rest.pop(0))
    files = files_of(paths)
    conns = int(opts['--conns'])
    lock = threading.Lock()
    results = []
    deadline = time.time() + 60

    def record(f, code, reply):
        m = QUEUED.search(reply)
        with lock:
            results.append({'file': os.path.basename(f), 'code': code, 'reply': reply,
                            'qid': m.group(1) if m else None})

    def one(s, f, kill):
        with open(f, 'rb') as fh:
            data = crlf(fh.read())
        code, reply = s.mail(opts['--from'])
        if code == 250:
            code, reply = s.rcpt(opts['--to'])
        if code == 250 and kill:
            code, reply = s.docmd('DATA')
            if code == 354:
                # Dot-stuffing, then the header and half the body; the milter
                # dies; the rest.
                data = re.sub(rb'(?m)^\.', b'..', data)
                half = data.index(b'\r\n\r\n') + (len(data) - data.index(b'\r\n\r\n')) // 2
                s.send(data[:half])
                time.sleep(0.3)
                os.kill(int(kill), signal.SIGKILL)
                time.sleep(0.3)
                s.send(data[half:] + (b'' if data.endswith(b'\r\n') else b'\r\n') + b'.\r\n')
                code, reply = s.getreply()
        elif code == 250:
            code, reply = s.data(data)
        if code != 250:
            s.rset()
        record(f, code, reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply)

    def worker(i):
        mine = files[i::conns]
        if not mine:
            return
        first = True
        while True:
            try:
                s = smtplib.SMTP('127.0.0.1', port, local_hostname='client%d.remote.test' % i,
                                 source_address=(opts['--source'], 0), timeout=120)
                s.ehlo()
            except (OSError, smtplib.SMTPException) as e:
                for f in mine:
                    record(f, 0, 'connect: %s' % e)
                return
            for f in mine:
                try:
                    one(s, f, opts['--kill'] if first and i == 0 else None)
                except (OSError, smtplib.SMTPException) as e:
                    record(f, 0, '%s: %s' % (type(e).__name__, e))
                    return
                first = False
                if opts['--until'] is not None:
                    time.sleep(0.05)  # steady traffic, not a flood
            s.quit()
            if opts['--until'] is None or os.path.exists(opts['--until']) or time.time() > deadline:
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with open(out, 'w') as f:
        for r in results:
            f.write(json.dumps(r) + '\n')


RECEIVED_ID = re.compile(rb'by mx\.ourdomain\.test \(Postfix\) with E?SMTP id ([0-9A-Za-z]+)')


def header_of(path):
    with open(path, 'rb') as f:
        data = f.read()
    end = re.search(rb'\r?\n\r?\n', data)
    head = data[:end.start()] if end else data
    fields = []
    for line in re.split(rb'\r?\n', head):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1] += b' ' + line.strip()
        else:
            fields.append(line)
    return fields


def delivered(maildirs):
    # Queue ID of ours -> the delivered header fields (a list per delivery).
    # A delivered file never changes: what was read of it is kept in the
    # Maildir's .e2e-index, so that polling stays cheap as mail piles up.
    got = {}
    for md in maildirs:
        index_path = os.path.join(md, '.e2e-index')
        try:
            with open(index_path) as f:
                index = json.load(f)
        except (OSError, ValueError):
            index = {}
        for sub in ('new', 'cur'):
            d = os.path.join(md, sub)
            for name in os.listdir(d) if os.path.isdir(d) else ():
                key = sub + '/' + name
                if key not in index:
                    fields = header_of(os.path.join(d, name))
                    qid = None
                    for fl in fields:
                        m = RECEIVED_ID.search(fl)
                        if m:
                            qid = m.group(1).decode()
                            break
                    index[key] = [qid, [fl.decode('latin-1') for fl in fields]]
                qid, fields = index[key]
                got.setdefault(qid, []).append([fl.encode('latin-1') for fl in fields])
        if os.path.isdir(md):
            with open(index_path + '.new', 'w') as f:
                json.dump(index, f)
            os.replace(index_path + '.new', index_path)
    return got


def results_of(out):
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def verdicts(fields):
    return [fl for fl in fields if fl.lower().startswith(b'x-ndr-verdict:')]


def check(out, maildirs):
    res = results_of(out)
    got = delivered(maildirs)
    c = {k: 0 for k in ('sent', 'queued', 'tempfailed', 'rejected', 'failed', 'delivered', 'lost',
                        'duplicated', 'headers0', 'headers1', 'headers2+')}
    words = {}
    bad = []
    for r in res:
        c['sent'] += 1
        code = r['code']
        if code == 250 and r['qid']:
            c['queued'] += 1
        elif 400 <= code < 500:
            c['tempfailed'] += 1
            continue
        elif 500 <= code < 600:
            c['rejected'] += 1
            continue
        else:
            c['failed'] += 1
            bad.append('failed %s: %s %s' % (r['file'], code, r['reply']))
            continue
        copies = got.get(r['qid'], [])
        if not copies:
            c['lost'] += 1
            bad.append('lost %s (%s)' % (r['file'], r['qid']))
            continue
        c['delivered'] += 1
        if len(copies) > 1:
            c['duplicated'] += 1
        v = verdicts(copies[0])
        c['headers0' if not v else 'headers1' if len(v) == 1 else 'headers2+'] += 1
        word = v[0].split(b':', 1)[1].strip().split(b';')[0].decode('ascii', 'replace') if v else '-'
        words[word] = words.get(word, 0) + 1
        want = r['file'].split('-')[0]
        if want in ('legit', 'forged') and word != want:
            bad.append('mismatch %s: %s' % (r['file'], b' | '.join(v).decode('ascii', 'replace')))
    print(' '.join('%s=%d' % kv for kv in c.items()) + ' ' +
          ' '.join('%s=%d' % kv for kv in sorted(words.items())))
    for b in bad[:20]:
        print(b)


def untouched(out, maildir, d):
    got = delivered([maildir])
    n, bad = 0, []
    for r in results_of(out):
        copies = got.get(r['qid'], [])
        if len(copies) != 1:
            bad.append('%s: %d copies' % (r['file'], len(copies)))
            continue
        fields = copies[0]
        while fields and re.match(rb'(?i)(return-path|x-original-to|delivered-to):', fields[0]):
            fields = fields[1:]
        if fields and RECEIVED_ID.search(fields[0]):
            fields = fields[1:]
        sent = [fl.rstrip(b'\r') for fl in header_of(os.path.join(d, r['file']))]
        if fields != sent:
            bad.append('%s: sent %r, delivered %r' % (r['file'], sent, fields))
        else:
            n += 1
    print('untouched %d' % n)
    for b in bad:
        print(b)


def main():
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == 'gen':
        gen(argv[0], argv[1], int(argv[2]), int(argv[3]))
    elif cmd == 'dsn':
        write(argv[0], dsn(argv[1], int(argv[2]), len(argv) > 3 and argv[3] == 'forged',
                           argv[4] + '\n' if len(argv) > 4 else ''))
    elif cmd == 'send':
        send(argv)
    elif cmd == 'check':
        check(argv[0], argv[1:])
    elif cmd == 'untouched':
        untouched(argv[0], argv[1], argv[2])
    else:
        sys.exit('milter-client.py: no command %s' % cmd)


main()
