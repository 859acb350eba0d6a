"""A local S3 for tests: moto's server on 127.0.0.1, seeded with folders,
behind a layer that logs every request and injects faults.

    server.py --log FILE [--faults JSON] [--seed BUCKET=DIR ...]

Prints "PORT <n>" on standard output once the buckets are seeded, then serves
until standard input closes (so it dies with the test that started it).

Each seeded file becomes the object DIR-relative key; a `KEY.s3meta` sidecar
beside it (trailscope's cache format) gives its user metadata, and is not
uploaded itself.

Faults: a JSON list of {"method": "GET", "contains": "text in path?query",
"status": 503, "code": "SlowDown", "times": N}. The first N matching
requests for each distinct path+query get the error (times < 0: always).
A rule with "amz_target" (as "AmazonAthena.GetQueryExecution") and "json"
instead answers the first N calls of that JSON-protocol operation with
that body (status 200), for Athena states and pages moto does not give.
The log has one line per request: METHOD PATH?QUERY STATUS.
"""

import argparse
import json
import logging
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


class Faults:
    def __init__(self, app, rules, log):
        self.app, self.rules, self.log = app, rules, log
        self.seen = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "")
        target = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        operation = environ.get("HTTP_X_AMZ_TARGET", "")
        for i, rule in enumerate(self.rules):
            if "amz_target" in rule:
                if rule["amz_target"] != operation:
                    continue
            elif rule.get("method", method) != method or rule["contains"] not in target:
                continue
            with self.lock:
                n = self.seen.get((i, target), 0)
                self.seen[(i, target)] = n + 1
            if (rule["times"] < 0 or n < rule["times"]) and "json" in rule:
                self.write(method, target + " " + operation, 200)
                body = json.dumps(rule["json"]).encode()
                start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"),
                                          ("Content-Length", str(len(body)))])
                return [body]
            if rule["times"] < 0 or n < rule["times"]:
                self.write(method, target, rule["status"])
                body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>injected</Message>"
                        "<RequestId>test</RequestId></Error>" % rule["code"]).encode()
                start_response("%d Injected" % rule["status"], [("Content-Type", "application/xml"),
                                                                ("Content-Length", str(len(body)))])
                return [body]

        status = {}

        def recording(s, headers, exc_info=None):
            status["s"] = s.split(" ", 1)[0]
            return start_response(s, headers, exc_info)

        result = self.app(environ, recording)
        self.write(method, target, status.get("s", "?"))
        return result

    def write(self, method, target, status):
        with self.lock:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write("%s %s %s\n" % (method, target, status))


def seed(port, bucket, folder):
    import boto3

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                      aws_access_key_id="seed", aws_secret_access_key="seed")
    s3.create_bucket(Bucket=bucket)
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith(".s3meta"):
                continue
            path = os.path.join(root, name)
            key = os.path.relpath(path, folder).replace(os.sep, "/")
            meta = {}
            if os.path.exists(path + ".s3meta"):
                with open(path + ".s3meta", encoding="utf-8") as f:
                    meta = json.load(f).get("metadata", {})
            with open(path, "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f.read(), Metadata=meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--faults", default="[]")
    ap.add_argument("--seed", action="append", default=[])
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, Faults(app, [], args.log), threaded=True)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for s in args.seed:
        bucket, folder = s.split("=", 1)
        seed(port, bucket, folder)
    # Seeding is not logged and meets no fault; the test's requests are and do.
    open(args.log, "w").close()
    server.app.rules = json.loads(args.faults)
    print("PORT %d" % port, flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
