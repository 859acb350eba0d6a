#!/usr/bin/env python3
"""Builds the bundled sample trail in assets/sample/ (S3 layout, gzip).

    python3 assets/build_sample.py [--seeds ../shared/seeds]

About 400 events over 36 hours in two accounts: routine work by people,
roles and services; the documented example events of EMR, Glue, Batch,
Managed Flink and ElastiCache (from the AWS pages in ../shared/seeds,
retimed into the window); and a small incident to investigate: a leaked
access key of the IAM user `bob`, used from 198.51.100.23 to look around,
copy backups, create a persistent user and try to stop logging. One request
carries terminal escape sequences in its user agent, as attackers send them.
Also a digest file per account and region and one CloudTrail Insights event.

Fixes made to the documented examples: the EMR page's array holds
`...additional entries` (removed) and the ElastiCache CreateCacheCluster
example has a trailing comma (removed); the Managed Flink page misspells
its event source `kinesisanlaytics` (corrected). Deterministic: the output
only changes when this script does.
"""
import argparse
import datetime as dt
import gzip
import json
import os
import random
import shutil
import uuid

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample")
START = dt.datetime(2024, 5, 14, 8, 0, tzinfo=dt.timezone.utc)
HOURS = 36
PROD, DATA = "123456789012", "012345678910"
ATTACKER_IP = "198.51.100.23"
BOB_KEY = "AKIAQ3EGRJ4VBOBKEY77"

r = random.Random(20240514)


def t(minutes):
    return START + dt.timedelta(minutes=minutes)


def ts(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def uid():
    return str(uuid.UUID(int=r.getrandbits(128)))


def iam_user(acct, name, key):
    return {"type": "IAMUser", "principalId": "AIDA" + name.upper().ljust(17, "X")[:17], "arn": f"arn:aws:iam::{acct}:user/{name}",
            "accountId": acct, "accessKeyId": key, "userName": name}


def role(acct, name, session, when):
    pid = "AROA" + name.upper().replace("-", "").ljust(17, "Q")[:17]
    return {"type": "AssumedRole", "principalId": f"{pid}:{session}", "arn": f"arn:aws:sts::{acct}:assumed-role/{name}/{session}",
            "accountId": acct, "accessKeyId": "ASIA" + uid().replace("-", "").upper()[:16],
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": pid, "arn": f"arn:aws:iam::{acct}:role/{name}", "accountId": acct, "userName": name},
                               "webIdFederationData": {}, "attributes": {"creationDate": ts(when - dt.timedelta(minutes=20)), "mfaAuthenticated": "true"}}}


def service(name):
    return {"type": "AWSService", "invokedBy": name}


def event(when, acct, region, ident, source, name, ip, agent, req=None, resp=None, error=None, read_only=None, **extra):
    e = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": ts(when), "eventSource": source, "eventName": name,
         "awsRegion": region, "sourceIPAddress": ip, "userAgent": agent, "requestParameters": req, "responseElements": resp}
    if error:
        e["errorCode"], e["errorMessage"] = error
        e["responseElements"] = None
    e.update({"requestID": uid(), "eventID": uid(), "readOnly": bool(read_only), "eventType": "AwsApiCall",
              "managementEvent": True, "recipientAccountId": acct, "eventCategory": "Management"})
    if ident.get("type") != "AWSService":
        e["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source.replace(".amazonaws.com", f".{region}.amazonaws.com")}
    e.update(extra)
    return e


CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/{}"
BOTO = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy Botocore/1.34.69"
CONSOLE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
TERRAFORM = "Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.49.0 aws-sdk-go-v2/1.26.1"


def routine():
    """People and services going about their day."""
    evs = []
    people = [("alice", "AKIAQ3EGRJ4VALICE001", "203.0.113.10"), ("bob", BOB_KEY, "203.0.113.11"), ("carol", "AKIAQ3EGRJ4VCAROL002", "203.0.113.12")]
    for _ in range(300):
        when = t(r.uniform(0, HOURS * 60))
        # Office hours are busier.
        if not 8 <= when.hour <= 19 and r.random() < 0.6:
            when = when.replace(hour=r.randrange(8, 19))
        kind = r.random()
        region = r.choices(["us-east-1", "eu-west-1", "us-west-2"], [6, 3, 1])[0]
        if kind < 0.35:
            name, key, ip = r.choice(people)
            ident = iam_user(PROD, name, key)
            src, op, req, resp, ro = r.choice([
                ("s3.amazonaws.com", "ListBuckets", {"Host": "s3.amazonaws.com"}, None, True),
                ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}, None, True),
                ("s3.amazonaws.com", "GetObject", {"bucketName": "team-reports", "key": f"2024/05/report-{r.randrange(100)}.csv", "Host": "team-reports.s3.amazonaws.com"}, None, True),
                ("iam.amazonaws.com", "ListRoles", {"maxItems": 100}, None, True),
                ("sts.amazonaws.com", "GetCallerIdentity", None, None, True),
                ("logs.amazonaws.com", "FilterLogEvents", {"logGroupName": "/aws/lambda/orders", "startTime": 1715673600000}, None, True),
            ])
            evs.append((PROD, region, event(when, PROD, region, ident, src, op, ip, CLI.format(op.lower()), req, resp, read_only=ro)))
        elif kind < 0.6:
            session = r.choice(["alice", "carol", "github-actions"])
            rname = "ci-deploy" if session == "github-actions" else "Admin"
            ident = role(PROD, rname, session, when)
            src, op, req, resp = r.choice([
                ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", {"functionName": "orders-api", "publish": True}, {"functionName": "orders-api", "runtime": "python3.12", "state": "Active"}),
                ("cloudformation.amazonaws.com", "DescribeStacks", {"stackName": "orders-prod"}, None),
                ("ec2.amazonaws.com", "CreateTags", {"resourcesSet": {"items": [{"resourceId": "i-0" + uid().replace("-", "")[:16]}]}, "tagSet": {"items": [{"key": "team", "value": "orders"}]}}, {"_return": True}),
                ("kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, None),
                ("ssm.amazonaws.com", "GetParameter", {"name": "/orders/prod/db-url", "withDecryption": True}, None),
            ])
            agent = TERRAFORM if session == "github-actions" else CONSOLE
            ip = "140.82.112.4" if session == "github-actions" else "203.0.113.10"
            err = ("AccessDenied", "User is not authorized to perform this action") if r.random() < 0.04 else None
            evs.append((PROD, region, event(when, PROD, region, ident, src, op, ip, agent, req, resp, error=err, read_only=op.startswith(("Describe", "Get")))))
        elif kind < 0.85:
            svc = r.choice(["lambda.amazonaws.com", "ec2.amazonaws.com", "elasticmapreduce.amazonaws.com", "glue.amazonaws.com"])
            acct = r.choice([PROD, DATA])
            op, src, req = r.choice([("AssumeRole", "sts.amazonaws.com", {"roleArn": f"arn:aws:iam::{acct}:role/app-role", "roleSessionName": "svc-session"}),
                                     ("Decrypt", "kms.amazonaws.com", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
                                     ("CreateLogStream", "logs.amazonaws.com", {"logGroupName": "/aws/service/app", "logStreamName": uid()})])
            evs.append((acct, region, event(when, acct, region, service(svc), src, op, svc, svc, req, None, read_only=op == "Decrypt",
                                            sharedEventID=uid())))
        else:
            ident = role(DATA, "DataEngineer", r.choice(["dave", "erin"]), when)
            src, op, req = r.choice([("glue.amazonaws.com", "GetTable", {"databaseName": "analytics", "name": "events"}),
                                     ("glue.amazonaws.com", "StartJobRun", {"jobName": "nightly-etl"}),
                                     ("athena.amazonaws.com", "StartQueryExecution", {"queryString": "SELECT count(*) FROM events WHERE day = '2024-05-14'", "workGroup": "primary"}),
                                     ("batch.amazonaws.com", "SubmitJob", {"jobName": "etl-" + uid()[:6], "jobQueue": "default", "jobDefinition": "etl:12"})])
            evs.append((DATA, region, event(when, DATA, region, ident, src, op, "198.18.0.44", BOTO, req, None, read_only=op == "GetTable")))
    # A few failed console sign-ins, and one where the name is withheld.
    for i in range(4):
        when = t(600 + i * 7)
        e = event(when, PROD, "us-east-1", {"type": "IAMUser", "principalId": PROD, "accountId": PROD, "accessKeyId": "",
                                             "userName": "HIDDEN_DUE_TO_SECURITY_REASONS" if i == 0 else "carol"},
                  "signin.amazonaws.com", "ConsoleLogin", "192.0.2.77", CONSOLE, None, {"ConsoleLogin": "Failure"},
                  additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"})
        e["errorMessage"] = "Failed authentication"
        e["eventType"] = "AwsConsoleSignIn"
        evs.append((PROD, "us-east-1", e))
    # The root user of the data account signs in and looks at billing.
    root = {"type": "Root", "principalId": DATA, "arn": f"arn:aws:iam::{DATA}:root", "accountId": DATA, "accessKeyId": ""}
    e = event(t(1500), DATA, "us-east-1", root, "signin.amazonaws.com", "ConsoleLogin", "203.0.113.50", CONSOLE, None, {"ConsoleLogin": "Success"},
              additionalEventData={"LoginTo": "https://console.aws.amazon.com/billing/home", "MobileVersion": "No", "MFAUsed": "Yes"})
    e["eventType"] = "AwsConsoleSignIn"
    evs.append((DATA, "us-east-1", e))
    evs.append((DATA, "us-east-1", event(t(1503), DATA, "us-east-1", root, "ce.amazonaws.com", "GetCostAndUsage", "203.0.113.50", CONSOLE,
                                         {"granularity": "MONTHLY", "metrics": ["UnblendedCost"]}, None, read_only=True)))
    return evs


def incident():
    """A leaked key of bob's, used from an unfamiliar address."""
    evs = []
    ident = iam_user(PROD, "bob", BOB_KEY)
    base = 20 * 60 + 13  # 04:13 on the second day
    agent = "aws-cli/1.16.312 Python/2.7.18 Linux/5.10.0-kali7-amd64 botocore/1.13.48"
    steps = [
        ("sts.amazonaws.com", "GetCallerIdentity", None, None, None),
        ("iam.amazonaws.com", "ListUsers", {"maxItems": 1000}, None, None),
        ("iam.amazonaws.com", "ListAttachedUserPolicies", {"userName": "bob"}, None, None),
        ("s3.amazonaws.com", "ListBuckets", {"Host": "s3.amazonaws.com"}, None, None),
        ("secretsmanager.amazonaws.com", "ListSecrets", None, None, ("AccessDenied", f"User: arn:aws:iam::{PROD}:user/bob is not authorized to perform: secretsmanager:ListSecrets")),
    ]
    minute = base
    for src, op, req, resp, err in steps:
        minute += r.uniform(0.2, 1.5)
        evs.append((PROD, "us-east-1", event(t(minute), PROD, "us-east-1", ident, src, op, ATTACKER_IP, agent, req, resp, error=err, read_only=True)))
    for i in range(45):
        minute += r.uniform(0.02, 0.2)
        key = f"db/2024-05-{r.randrange(1, 14):02d}/orders-{i:03d}.sql.gz"
        evs.append((PROD, "us-east-1", event(t(minute), PROD, "us-east-1", ident, "s3.amazonaws.com", "GetObject", ATTACKER_IP, agent,
                                              {"bucketName": "prod-db-backups", "key": key, "Host": "prod-db-backups.s3.amazonaws.com"}, None, read_only=True,
                                              managementEvent=False, eventCategory="Data",
                                              resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::prod-db-backups/{key}"},
                                                         {"accountId": PROD, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::prod-db-backups"}])))
    new_key = "AKIAQ3EGRJ4VBACKUPSV"
    persistence = [
        ("iam.amazonaws.com", "CreateUser", {"userName": "backup-svc"}, {"user": {"path": "/", "userName": "backup-svc", "userId": "AIDAQ3EGRJ4VBACKUPSV", "arn": f"arn:aws:iam::{PROD}:user/backup-svc", "createDate": "May 15, 2024, 4:21:09 AM"}}, None),
        ("iam.amazonaws.com", "AttachUserPolicy", {"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, None, None),
        ("iam.amazonaws.com", "CreateAccessKey", {"userName": "backup-svc"}, {"accessKey": {"userName": "backup-svc", "accessKeyId": new_key, "status": "Active", "createDate": "May 15, 2024, 4:21:30 AM"}}, None),
        ("cloudtrail.amazonaws.com", "StopLogging", {"name": f"arn:aws:cloudtrail:us-east-1:{PROD}:trail/org-trail"}, None, ("AccessDenied", "User is not authorized to perform: cloudtrail:StopLogging")),
        ("cloudtrail.amazonaws.com", "DeleteTrail", {"name": "org-trail"}, None, ("AccessDenied", "User is not authorized to perform: cloudtrail:DeleteTrail")),
    ]
    for src, op, req, resp, err in persistence:
        minute += r.uniform(0.2, 0.8)
        evs.append((PROD, "us-east-1", event(t(minute), PROD, "us-east-1", ident, src, op, ATTACKER_IP, agent, req, resp, error=err)))
    # The new user's key at work elsewhere, and an escape-laden user agent.
    nu = iam_user(PROD, "backup-svc", new_key)
    hostile = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b[1;1Hlegit-agent\r\u202etxt.exe"
    for i in range(12):
        minute += r.uniform(0.5, 3)
        evs.append((PROD, "ap-southeast-2", event(t(minute), PROD, "ap-southeast-2", nu, "ec2.amazonaws.com", "RunInstances", ATTACKER_IP, hostile if i == 0 else BOTO,
                                                   {"instancesSet": {"items": [{"imageId": "ami-0f1e2d3c4b5a69788", "minCount": 1, "maxCount": 4}]}, "instanceType": "c6i.8xlarge"},
                                                   None, error=("Client.InstanceLimitExceeded", "You have requested more instances than your current instance limit allows") if i > 8 else None)))
    return evs


def seed_events(seeds):
    """The documented examples, made valid and retimed into the sample."""
    found = []
    for name in sorted(os.listdir(seeds)):
        for line in open(os.path.join(seeds, name), encoding="utf-8"):
            line = line.strip()
            if not line.startswith("{"):
                continue
            line = line.replace(", ...additional entries ]", "]")  # EMR: not JSON as printed
            line = line.replace('"cache.m1.small", }', '"cache.m1.small" }')  # ElastiCache: trailing comma
            line = line.replace("kinesisanlaytics", "kinesisanalytics").replace("kinesisanalyticsus-east-1", "kinesisanalytics:us-east-1")
            doc = json.loads(line)
            found.extend(doc["Records"] if "Records" in doc else [doc])
    offsets = {"RunJobFlow": 95, "DeleteCrawler": 180, "CreateConnection": 185, "CreateComputeEnvironment": 240,
               "AddApplicationCloudWatchLoggingOption": 300, "DescribeApplication": 302, "CreateCacheCluster": 410,
               "DescribeCacheClusters": 411, "ModifyCacheCluster": 442}
    out = []
    for e in found:
        e["eventTime"] = ts(t(offsets[e["eventName"]] + r.uniform(0, 1)))
        acct = e["userIdentity"]["accountId"]
        out.append((acct, e["awsRegion"], e))
    assert len(out) == 9, [e["eventName"] for _, _, e in out]
    return out


def write(events):
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    files = {}
    for acct, region, e in events:
        when = dt.datetime.strptime(e["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        window = when.replace(minute=0, second=0)
        files.setdefault((acct, region, window), []).append(e)
    for (acct, region, window), evs in sorted(files.items()):
        r.shuffle(evs)  # CloudTrail gives no order within a file
        d = os.path.join(OUT, "AWSLogs", acct, "CloudTrail", region, window.strftime("%Y/%m/%d"))
        os.makedirs(d, exist_ok=True)
        stamp = (window + dt.timedelta(minutes=5)).strftime("%Y%m%dT%H%MZ")
        name = f"{acct}_CloudTrail_{region}_{stamp}_{uid().replace('-', '')[:16]}.json.gz"
        with open(os.path.join(d, name), "wb") as f:
            f.write(gzip.compress(json.dumps({"Records": evs}, separators=(",", ":"), ensure_ascii=False).encode(), mtime=0))
    for acct in (PROD, DATA):
        d = os.path.join(OUT, "AWSLogs", acct, "CloudTrail-Digest", "us-east-1", START.strftime("%Y/%m/%d"))
        os.makedirs(d, exist_ok=True)
        digest = {"awsAccountId": acct, "digestStartTime": ts(START), "digestEndTime": ts(START + dt.timedelta(hours=1)),
                  "digestS3Bucket": "org-trail-logs", "digestS3Object": f"AWSLogs/{acct}/CloudTrail-Digest/us-east-1/2024/05/14/x.json.gz",
                  "digestPublicKeyFingerprint": "0c5e4fb1d4a1c0f2b4e0f3f9d8c7b6a5", "digestSignatureAlgorithm": "SHA256withRSA",
                  "newestEventTime": ts(START), "oldestEventTime": ts(START), "previousDigestS3Bucket": None, "previousDigestS3Object": None,
                  "previousDigestHashValue": None, "previousDigestHashAlgorithm": None, "previousDigestSignature": None, "logFiles": []}
        with open(os.path.join(d, f"{acct}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240514T090000Z.json.gz"), "wb") as f:
            f.write(gzip.compress(json.dumps(digest).encode(), mtime=0))
    insight = {"eventVersion": "1.08", "eventTime": "2024-05-15T04:20:00Z", "awsRegion": "us-east-1", "eventID": uid(), "eventType": "AwsCloudTrailInsight",
               "recipientAccountId": PROD, "sharedEventID": uid(), "eventCategory": "Insight",
               "insightDetails": {"state": "Start", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "insightType": "ApiCallRateInsight",
                                  "insightContext": {"statistics": {"baseline": {"average": 0.0417}, "insight": {"average": 9.0}, "insightDuration": 5},
                                                     "attributions": [{"attribute": "userIdentityArn", "insight": [{"value": f"arn:aws:iam::{PROD}:user/bob", "average": 9.0}],
                                                                       "baseline": [{"value": f"arn:aws:iam::{PROD}:user/bob", "average": 0.0417}]}]}}}
    d = os.path.join(OUT, "AWSLogs", PROD, "CloudTrail-Insight", "us-east-1", "2024/05/15")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{PROD}_CloudTrail-Insight_us-east-1_20240515T0425Z_{uid().replace('-', '')[:16]}.json.gz"), "wb") as f:
        f.write(gzip.compress(json.dumps({"Records": [insight]}).encode(), mtime=0))
    return len(events) + 1, len(files)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default=os.path.join(os.path.dirname(OUT), "..", "..", "shared", "seeds"))
    args = ap.parse_args()
    events = routine() + incident() + seed_events(args.seeds)
    n, files = write(events)
    print(f"wrote {n} events in {files} log files (+2 digests, 1 insight file) to {OUT}")


if __name__ == "__main__":
    main()
