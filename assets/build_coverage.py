#!/usr/bin/env python3
"""Writes the catalogue's call rules from the table of calls (assets/rules/calls.tsv).

    python3 assets/build_coverage.py [--check]

The table lists every security-relevant call TrailDiscover names (service,
call, ATT&CK tactics), with trailscope's level for one such call made with
ordinary parameters, successful and denied, and the reason. This script
groups the calls that no other catalogue rule already covers at that level
by tactic, outcome and level, and writes one Sigma rule per group
(assets/rules/TACTIC/calls_*.yml) and its firing and quiet fixtures
(tests/fixtures/rules/TACTIC/calls_*.json). With --check it writes nothing
and fails when the files on disk differ from what it would write (a test
runs it so). Only the standard library is used; the output depends only on
the table.
"""
import argparse
import csv
import json
import os
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "assets", "rules", "calls.tsv")
RULES = os.path.join(ROOT, "assets", "rules")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "rules")
LEVELS = ["informational", "low", "medium", "high", "critical"]

# Per tactic: what a successful call of it gives an intruder, an ATT&CK
# technique the family stands for, and what legitimate work makes such calls.
TACTICS = {
    "persistence": ("a way back in that outlives the session that made it (a user, a key, a trust, a function, an endpoint)",
                    "t1098", "Provisioning by infrastructure code and administrators' day-to-day changes"),
    "privilege-escalation": ("more permissions than the caller had (a policy, a role, a new version of either)",
                             "t1098.003", "Permission changes made through the usual change process"),
    "defense-evasion": ("less of what would see it: logging, detectors, alarms, findings or guardrails weakened",
                        "t1562", "Decommissioning, cost cuts and reconfiguration of monitoring by its owners"),
    "credential-access": ("secrets, keys or tokens that open other doors", "t1552",
                          "Applications and deployment tools fetching the secrets they are configured with"),
    "exfiltration": ("data, images or snapshots shared with or copied to somewhere the owner does not control",
                     "t1537", "Sanctioned sharing with partner accounts and backup copies to other regions"),
    "impact": ("damage, lock-out or hijacked resources (deletion, encryption, resources run for the intruder)", "t1485",
               "Clean-up, scaling and deployments that delete or replace resources"),
    "lateral-movement": ("a way onto other machines or accounts", "t1021",
                         "Administrators connecting to instances they manage"),
    "execution": ("code run on the account's machines or functions", "t1651",
                  "Automation that runs commands and jobs on its own fleet"),
    "initial-access": ("access, or a way to obtain it", "t1078.004", "People signing in and federating as usual"),
    "collection": ("data gathered for later theft", "t1530", "Analytics, backup and reporting jobs"),
    "resource-development": ("infrastructure set up to support the intrusion", "t1583",
                             "Teams registering the certificates, domains and identities they need"),
    "command-and-control": ("a channel to control what runs in the account", "t1102",
                            "Integrations that connect the account to outside services"),
    "discovery": ("a map of the account", "t1580", "Inventory, posture and monitoring tools"),
}

DENIALS = ["denied", "unauthorized", "forbidden", "notauthorized"]

TRAILDISCOVER = "https://github.com/adanalvarez/TrailDiscover"
CLOUDTRAIL = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html"


def slug(tactic):
    return tactic.replace("-", "_")


def rule_id(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "trailscope:calls:" + name))


MARK = "# Written by assets/build_coverage.py from assets/rules/calls.tsv: edit the table, not this file."


def read_table():
    with open(TABLE, encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    for r in rows:
        where = "%s %s" % (r["eventSource"], r["eventName"])
        assert r["primary"] in TACTICS, "%s: tactic %r" % (where, r["primary"])
        for outcome in ("success", "denied"):
            assert r[outcome] == "none" or r[outcome] in LEVELS, "%s: level %r" % (where, r[outcome])
    return rows


def groups(rows):
    """(tactic, outcome, level) -> the calls a generated rule holds, in table order."""
    out = {}
    for r in rows:
        for outcome in ("success", "denied"):
            level = r[outcome]
            if level == "none" or r[outcome + "_rule"]:
                continue
            out.setdefault((r["primary"], outcome, level), []).append(r)
    return out


def yaml_str(s):
    return "'" + s.replace("'", "''") + "'"


def rule_text(tactic, outcome, level, calls):
    gives, technique, legit = TACTICS[tactic]
    kind = level if outcome == "success" else "denied" if level == "low" else "denied_" + level
    name = "calls_%s_%s" % (slug(tactic), kind)
    label = tactic.replace("-", " ")
    if outcome == "denied":
        title = "Denied attempt at %s %s call (%s)" % ("an" if label[0] in "aeiou" else "a", label, level)
        why = ("The call was refused. It can give an intruder %s. One refusal is a key probing what it may do; "
               "many refusals by one key set off the denied-call bursts." % gives)
        fp = "Least-privilege roles and users hitting the limits they were given, after a deployment or a typo"
    else:
        title = "%s call succeeded (%s)" % (label[0].upper() + label[1:], level)
        weight = {
            "informational": "These calls are routine on their own and are kept for the record",
            "low": "These calls are routine in most accounts, so one alone is low",
            "medium": "These calls are rarely made in ordinary work, so one alone is medium",
            "high": "These calls are seldom legitimate, so one alone is high",
            "critical": "These calls are almost never legitimate, so one alone is critical",
        }[level]
        why = ("The call succeeded. It can give an intruder %s. %s; made by a new key, from a new address or "
               "among other findings of one identity, it is part of a story. The table of calls "
               "(assets/rules/calls.tsv) says why each is at this level." % (gives, weight))
        fp = legit
    by_source = {}
    for r in calls:
        by_source.setdefault(r["eventSource"], []).append(r["eventName"])
    lines = [
        MARK,
        "title: " + yaml_str(title),
        "id: " + rule_id(name),
        "name: " + name,
        "status: test",
        "description: >-",
    ]
    words, line = why.split(), "  "
    for w in words:
        if len(line) + len(w) + 1 > 100:
            lines.append(line.rstrip())
            line = "  "
        line += w + " "
    lines.append(line.rstrip())
    lines += [
        "references:",
        "  - " + TRAILDISCOVER,
        "  - https://attack.mitre.org/tactics/%s/" % tactic_id(tactic),
        "  - " + CLOUDTRAIL,
        "author: trailscope",
        "date: 2026-12-06",
        "tags:",
        "  - attack." + tactic,
        "  - attack." + technique,
        "logsource:",
        "  product: aws",
        "  service: cloudtrail",
        "detection:",
        "  call:",
    ]
    for source in sorted(by_source):
        lines.append("    - eventSource: " + yaml_str(source))
        names = sorted(set(by_source[source]))
        lines.append("      eventName:")
        lines += ["        - " + yaml_str(n) for n in names]
    if outcome == "denied":
        lines += ["  outcome:", "    errorCode|contains:"] + ["      - " + d for d in DENIALS]
    else:
        lines += ["  outcome:", "    errorCode: null"]
    lines += [
        "  condition: call and outcome",
        "falsepositives:",
        "  - " + yaml_str(fp),
        "level: " + level,
        "",
    ]
    return name, "\n".join(lines)


def tactic_id(tactic):
    return {
        "reconnaissance": "TA0043", "resource-development": "TA0042", "initial-access": "TA0001",
        "execution": "TA0002", "persistence": "TA0003", "privilege-escalation": "TA0004",
        "defense-evasion": "TA0005", "credential-access": "TA0006", "discovery": "TA0007",
        "lateral-movement": "TA0008", "collection": "TA0009", "command-and-control": "TA0011",
        "exfiltration": "TA0010", "impact": "TA0040",
    }[tactic]


def event(r, denied, n, source=None):
    """One call of row `r` by a user of its own, an hour after the last (no burst forms)."""
    user = "caller%03d" % n
    ev = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAQ%015d" % n,
                         "arn": "arn:aws:iam::111122223333:user/" + user, "accountId": "111122223333",
                         "accessKeyId": "AKIAQ%015d" % n, "userName": user},
        "eventTime": "2024-05-%02dT%02d:00:00Z" % (1 + n // 24 % 28, n % 24),
        "eventSource": source or r["eventSource"],
        "eventName": r["eventName"],
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.%d" % (1 + n % 250),
        "userAgent": "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "requestParameters": {},
        "responseElements": None,
        "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, "trailscope:calls:%s:%s:%d" % (r["eventName"], denied, n))),
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }
    if denied:
        ev["errorCode"] = "AccessDenied"
        ev["errorMessage"] = "User: %s is not authorized to perform this action" % ev["userIdentity"]["arn"]
    return ev


def fixture(outcome, calls):
    """Firing cases: each call of the rule (up to six, spread over the services); quiet cases: the
    same calls with the other outcome, and from a service that is not theirs."""
    picked, seen = [], set()
    for r in calls:
        if r["eventSource"] not in seen or len(picked) < 3:
            seen.add(r["eventSource"])
            picked.append(r)
        if len(picked) == 6:
            break
    denied = outcome == "denied"
    fires = [{"note": "%s %s" % (r["eventName"], "denied" if denied else "succeeded"),
              "events": [event(r, denied, i)]} for i, r in enumerate(picked)]
    quiet = [{"note": "%s %s" % (r["eventName"], "succeeded" if denied else "denied"),
              "events": [event(r, not denied, 10 + i)]} for i, r in enumerate(picked[:3])]
    quiet.append({"note": "the same name from another service",
                  "events": [event(picked[0], denied, 20, source="example.amazonaws.com")]})
    return {"fires": fires, "quiet": quiet}


def outputs():
    out = {}
    for (tactic, outcome, level), calls in sorted(groups(read_table()).items()):
        name, text = rule_text(tactic, outcome, level, calls)
        path = os.path.join(RULES, tactic, name + ".yml")
        assert path not in out, "two groups make " + name
        out[path] = text
        out[os.path.join(FIXTURES, tactic, name + ".json")] = json.dumps(fixture(outcome, calls), indent=2) + "\n"
    return out


def generated(path):
    """Whether a file on disk was written by this script (a rule with its mark, or a rule's fixture)."""
    if path.endswith(".json"):
        rel = os.path.relpath(path, FIXTURES)
        path = os.path.join(RULES, os.path.splitext(rel)[0] + ".yml")
        if not os.path.exists(path):
            return os.path.basename(path).startswith("calls_")
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\n") == MARK


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail when the files differ from what would be written")
    args = ap.parse_args()
    want = outputs()
    existing = set()
    for base in (RULES, FIXTURES):
        for d, _, files in os.walk(base):
            existing |= {os.path.join(d, f) for f in files if f.startswith("calls_")}
    existing = {p for p in existing if generated(p)}
    stale = sorted(existing - set(want))
    differ = sorted(p for p, t in want.items() if not os.path.exists(p) or open(p, encoding="utf-8").read() != t)
    if args.check:
        for p in stale + differ:
            print("out of date: " + os.path.relpath(p, ROOT))
        sys.exit(1 if stale or differ else 0)
    for p in stale:
        os.remove(p)
    for p in differ:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(want[p])
    print("%d rules from %d calls; %d files written, %d removed" % (
        sum(1 for p in want if p.endswith(".yml")), len(read_table()), len(differ), len(stale)))


if __name__ == "__main__":
    main()
