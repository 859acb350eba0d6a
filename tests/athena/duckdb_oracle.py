"""Runs trailscope's Athena SQL in DuckDB, over the events loaded into the
table that `trailscope athena ddl` declares, as Athena's JSON SerDe would
read them. Used by tests/athena.rs to check that the SQL selects exactly
the events trailscope's own evaluator selects.

    duckdb_oracle.py JOB.json  ->  prints {"results": [...]} on stdout

JOB: {"ddl": CREATE TABLE text, "table": name, "records": NDJSON path,
      "statements": [Trino SQL, ...]}
Each result is {"ids": [eventID, ...]} or {"error": text}.
"""
import json
import re
import sys
import tempfile

import duckdb
import sqlglot


def columns_of(ddl):
    """The column list of the CREATE statement, with the partition columns
    after it. Struct members keep CloudTrail's spelling: DuckDB matches JSON
    keys to them exactly (and reads them in SQL in any case)."""
    head, _, tail = ddl.partition("PARTITIONED BY")
    cols = head[head.index("(") + 1 : head.rindex(")")]
    parts = tail[tail.index("(") + 1 : tail.index(")")]
    return cols + ",\n" + parts


def json_text(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def main():
    job = json.load(open(sys.argv[1], encoding="utf-8"))
    con = duckdb.connect()
    table = job["table"]
    create = f"CREATE TABLE {table} ({columns_of(job['ddl'])})"
    con.execute(sqlglot.transpile(create, read="hive", write="duckdb")[0])
    types = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False, encoding="utf-8") as out:
        for line in open(job["records"], encoding="utf-8"):
            if not line.strip():
                continue
            rec = json.loads(line)
            row = {}
            for k, v in rec.items():
                name = k.lower()
                row.setdefault(name, v)
            row["accountid"] = rec.get("recipientAccountId")
            row["region"] = rec.get("awsRegion")
            t = rec.get("eventTime") or ""
            row["timestamp"] = t[:10].replace("-", "/") if re.match(r"\d{4}-\d\d-\d\d", t) else None
            out.write(json_text(row) + "\n")
    # As the SerDe reads a value into its column: a string column takes any
    # value as text (objects as their JSON), a struct or array column takes
    # a value of its shape, else NULL.
    select = []
    for name, kind in types.items():
        member = f"json -> '$.\"{name}\"'"
        if kind == "VARCHAR":
            select.append(f"json ->> '$.\"{name}\"'")
        else:
            select.append(f"TRY_CAST({member} AS {kind})")
    con.execute(f"INSERT INTO {table} SELECT {', '.join(select)} FROM read_json_objects('{out.name}')")
    results = []
    for statement in job["statements"]:
        try:
            sql = sqlglot.transpile(statement, read="trino", write="duckdb")[0]
            ids = [r[0] for r in con.execute(f"SELECT eventid FROM ({sql})").fetchall()]
            results.append({"ids": ids})
        except Exception as e:  # reported per statement: the test names the query
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
