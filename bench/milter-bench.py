# milter-bench.py -- the MTA's side of bench/milter.sh: a minimal milter
# protocol client (version 6, as Postfix and Sendmail speak it) that plays
# whole SMTP transactions against `ndrsift milter` and times them.
#
#   verdict SOCKET OUT FILE...
#       one connection; each FILE as one message with a null sender to
#       alice@example.com; OUT gets, per message, the microseconds from
#       sending the end of message to reading the milter's final reply, and
#       that reply (c continue, r reject, ...)
#   rss SOCKET PID CONNS ROUNDS FILE...
#       CONNS connections at once, each sending every FILE ROUNDS times;
#       prints the peak resident set of PID (VmHWM) and the elapsed time
#   big SOCKET PID CONNS MIB
#       CONNS connections at once, each a DSN with a MIB MiB body; all wait
#       for each other before their end of message; prints VmHWM of PID
#
# SOCKET is unix:PATH. Every message goes: connect (once per connection),
# MAIL, RCPT, DATA, each header field, end of header, the body in 64 KiB
# chunks (until the milter answers "skip"), end of message.
import os, socket, struct, sys, threading, time

VERSION = 6
# The actions offered: add and change headers, quarantine, symbol lists.
ACTIONS = 0x01 | 0x10 | 0x20 | 0x100
# The protocol steps offered: no HELO, no unknown commands, "skip" to a
# body chunk. Every other step is sent and answered.
PROTOCOL = 0x02 | 0x100 | 0x400
FINAL = b'acdrty'  # accept, continue, discard, reject, replycode, tempfail


class Milter:
    def __init__(self, spec):
        path = spec[5:] if spec.startswith('unix:') else spec
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.send(b'O', struct.pack('>III', VERSION, ACTIONS, PROTOCOL))
        cmd, _ = self.read()
        if cmd != b'O':
            raise RuntimeError('negotiation: %r' % cmd)
        self.send(b'C', b'mx.remote.example\0' + b'4' + struct.pack('>H', 25) + b'198.51.100.7\0')
        self.reply()

    def send(self, cmd, data=b''):
        self.s.sendall(struct.pack('>I', len(data) + 1) + cmd + data)

    def recv(self, n):
        buf = b''
        while len(buf) < n:
            got = self.s.recv(n - len(buf))
            if not got:
                raise EOFError('the milter closed the connection')
            buf += got
        return buf

    def read(self):
        n = struct.unpack('>I', self.recv(4))[0]
        data = self.recv(n)
        return data[:1], data[1:]

    def reply(self):
        # Header changes and quarantine come before the final reply.
        while True:
            cmd, _ = self.read()
            if cmd in (b'h', b'i', b'm', b'q', b'p'):
                continue
            return cmd

    def message(self, head, body, qid, wait=None):
        self.send(b'D', b'M' + b'i\0' + qid + b'\0')
        self.send(b'M', b'<>\0')
        self.reply()
        self.send(b'D', b'R' + b'{rcpt_addr}\0alice@example.com\0')
        self.send(b'R', b'<alice@example.com>\0')
        self.reply()
        self.send(b'T')
        self.reply()
        for name, value in head:
            self.send(b'L', name + b'\0' + value + b'\0')
            self.reply()
        self.send(b'N')
        self.reply()
        for i in range(0, len(body), 65535):
            self.send(b'B', body[i:i + 65535])
            if self.reply() == b's':
                break
        if wait:
            wait()
        t0 = time.perf_counter_ns()
        self.send(b'E')
        r = self.reply()
        return (time.perf_counter_ns() - t0) // 1000, r

    def close(self):
        self.send(b'Q')
        self.s.close()


def parse(data):
    # LF, CRLF or CR lines: the header fields (folds joined with "\n", as
    # MTAs pass them) and the body in CRLF.
    data = data.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
    head, sep, body = data.partition(b'\n\n')
    if not sep:
        head, body = data, b''
    fields = []
    for line in head.split(b'\n'):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1][1] += b'\n' + line
        elif b':' in line:
            name, value = line.split(b':', 1)
            fields.append([name.strip(), value.lstrip(b' \t')])
    return fields, body.replace(b'\n', b'\r\n')


def load(files):
    out = []
    for f in files:
        with open(f, 'rb') as fh:
            out.append(parse(fh.read()))
    return out


def vmhwm(pid):
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def verdict(spec, out, files):
    msgs = load(files)
    m = Milter(spec)
    with open(out, 'w') as f:
        for k, (head, body) in enumerate(msgs):
            us, r = m.message(head, body, b'BENCH%d' % k)
            f.write('%d %s\n' % (us, r.decode('ascii', 'replace')))
    m.close()


def rss(spec, pid, conns, rounds, files):
    msgs = load(files)
    errors = []

    def worker(i):
        try:
            m = Milter(spec)
            for _ in range(rounds):
                for k, (head, body) in enumerate(msgs):
                    m.message(head, body, b'R%dM%d' % (i, k))
            m.close()
        except Exception as e:  # noqa: BLE001 -- reported, then the figure is void
            errors.append(str(e))

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('vmhwm_kb=%d seconds=%.1f messages=%d errors=%d' % (vmhwm(pid), time.time() - t0,
                                                               conns * rounds * len(msgs), len(errors)))
    for e in errors[:3]:
        print('error: ' + e)


def big(spec, pid, conns, mib):
    line = b'The quick brown fox jumps over the lazy dog 0123456789 lorem ipsum dolor.\r\n'
    head = [[b'From', b'MAILER-DAEMON@mx.remote.example'], [b'To', b'alice@example.com'],
            [b'Subject', b'Undelivered Mail Returned to Sender'],
            [b'Content-Type', b'multipart/report; report-type=delivery-status; boundary="B"']]
    body = (b'--B\r\nContent-Type: text/plain\r\n\r\n' + line * (mib * 1024 * 1024 // len(line)) +
            b'--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example\r\n\r\n'
            b'Final-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n')
    barrier = threading.Barrier(conns)
    replies, errors = [], []

    def worker(i):
        try:
            m = Milter(spec)
            replies.append(m.message(head, body, b'BIG%d' % i, wait=barrier.wait))
            m.close()
        except Exception as e:  # noqa: BLE001
            errors.append(str(e))
            barrier.abort()

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slowest = max((us for us, _ in replies), default=0)
    print('vmhwm_kb=%d seconds=%.1f messages=%d errors=%d slowest_eom_ms=%.0f' % (
        vmhwm(pid), time.time() - t0, len(replies), len(errors), slowest / 1000))
    for e in errors[:3]:
        print('error: ' + e)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == 'verdict':
        verdict(a[0], a[1], a[2:])
    elif cmd == 'rss':
        rss(a[0], a[1], int(a[2]), int(a[3]), a[4:])
    elif cmd == 'big':
        big(a[0], a[1], int(a[2]), int(a[3]))
    else:
        sys.exit('milter-bench.py: no command %s' % cmd)


main()
