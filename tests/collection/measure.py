#!/usr/bin/env python3
"""measure.py -- detection, extraction and recipient counts per family on a
bounce collection (tests/collection/heldout or tuning): every DIR/*.eml is
explained with `ndrsift explain --json` and compared with DIR/expected.tsv
(file, family, kind, original Message-ID or none, failed recipient or none).

usage: measure.py [--tap] NDRSIFT DIR [GLOBAL-OPTION...]

Per family it counts: detected (the kind is the expected one), original
right / wrong (set but another id: the critical failure) / missing, and
recipient right / wrong / missing (the failed recipient the verdict would
use: the text's, else the first Final-Recipient). Exit 1 when anything is
wrong (a wrong original or recipient, a non-bounce called a bounce), with
--tap one TAP line per family; 0 otherwise.
"""
import collections, json, subprocess, sys

args = sys.argv[1:]
tap = args[:1] == ["--tap"]
if tap:
    args = args[1:]
if len(args) < 2:
    sys.exit(__doc__)
ndrsift, d, opts = args[0], args[1], args[2:]

def norm(i):
    return None if i in (None, "none") else i.strip()

stats = collections.OrderedDict()
problems = collections.defaultdict(list)
for line in open(d + "/expected.tsv", encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f, fam, kind, orig, rcpt = line.rstrip("\n").split("\t")
    p = subprocess.run([ndrsift] + opts + ["explain", "--json", d + "/" + f],
                       capture_output=True, text=True, timeout=60)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {}
    s = stats.setdefault(fam, collections.Counter())
    s["n"] += 1
    got_kind = j.get("kind")
    s["detected"] += got_kind == kind
    if got_kind != kind:
        problems[fam].append("%s: kind %s, expected %s" % (f, got_kind, kind))
    o = norm((j.get("original") or {}).get("message_id"))
    if norm(orig):
        s["quoting"] += 1
        if o == norm(orig):
            s["original"] += 1
        elif o:
            s["wrong"] += 1
            problems[fam].append("%s: WRONG original %s" % (f, o))
        else:
            s["missing"] += 1
            problems[fam].append("%s: no original" % f)
    elif o and kind != "none":
        s["wrong"] += 1
        problems[fam].append("%s: WRONG original %s where none is quoted" % (f, o))
    facts = j.get("facts") or {}
    r = facts.get("failed_recipient")
    if r is None and j.get("dsn") and j["dsn"].get("recipients"):
        r = j["dsn"]["recipients"][0].get("final_recipient")
    if norm(rcpt):
        s["naming"] += 1
        if r and r.lower() == rcpt.lower():
            s["recipient"] += 1
        elif r:
            s["rwrong"] += 1
            problems[fam].append("%s: WRONG recipient %s" % (f, r))
        else:
            s["rmissing"] += 1
    elif r and kind != "none":
        s["rwrong"] += 1
        problems[fam].append("%s: WRONG recipient %s where none is named" % (f, r))

total = collections.Counter()
ROW = "%-15s %4s %9s %13s %6s %13s %6s"


def row(name, s):
    print(ROW % (name, s["n"], "%d/%d" % (s["detected"], s["n"]), "%d/%d" % (s["original"], s["quoting"]),
                 s["wrong"], "%d/%d" % (s["recipient"], s["naming"]), s["rwrong"]))


print(ROW % ("family", "n", "detected", "original", "wrong", "recipient", "wrong"))
for fam in sorted(stats):
    total.update(stats[fam])
    row(fam, stats[fam])
row("total", total)
for fam in problems:
    for p in problems[fam]:
        print("  " + p)
bad = total["wrong"] + total["rwrong"] + sum(1 for fam in stats for p in problems[fam] if "kind" in p and "expected none" in p)
if tap:
    print("1..%d" % len(stats))
    for i, (fam, s) in enumerate(stats.items(), 1):
        ok = s["wrong"] == 0 and s["rwrong"] == 0
        print("%s %d - %s: %d/%d detected, %d/%d originals, %d wrong, %d/%d recipients, %d wrong" % (
              "ok" if ok else "not ok", i, fam, s["detected"], s["n"], s["original"], s["quoting"], s["wrong"],
              s["recipient"], s["naming"], s["rwrong"]))
    sys.exit(0)
sys.exit(1 if bad else 0)
