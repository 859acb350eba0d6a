#!/usr/bin/env python3
r"""Reference evaluator ("oracle") for Sigma rules over CloudTrail events.

Usage:
    python sigma_oracle.py --rules PATH [--rules PATH ...] --events EVENTS.jsonl
                           --out RESULT.json [--dump-sql DIR]

PATH is a .yml/.yaml file or a folder searched recursively (files sorted by
path).  EVENTS.jsonl holds one CloudTrail event (a JSON object) per line, lines
split on "\n" only; an event is named by its 0-based line number.  Blank lines
and lines that are not a JSON object are skipped (their numbers stay taken) and
listed under "warnings".  Exit status: 0 after writing RESULT.json (bad rules
included), 2 only if the run itself fails (e.g. EVENTS.jsonl unreadable).

The rules are parsed by pySigma and compiled to SQL by pySigma-backend-sqlite
(both pinned in requirements.txt); the SQL runs on an in-memory SQLite table
holding one row per event, correlations through the backend's own plan
executor (sigma.backends.sqlite.runtime.execute_plan).  Everything that decides
what a Sigma value or condition means (wildcards and escapes, modifiers, `1 of`
/ `all of` / `them`, null-safe negation, correlation windows) is the backend's.
This script decides only how a JSON event becomes a table row, described here
exactly; the one place it adds SQL is the array wrapping below.

Output (RESULT.json), one entry per rule document, in file and document order:
    {"rules": [{"file", "id", "title", "kind": "single" | "correlation",
                "matches": [line, ...],                 # kind "single"
                "type": "event_count" | ...,            # kind "correlation"
                "groups": [{"group": {field: value}, "window_start", "window_end",
                            "metric", "events": [line, ...]}, ...],
                "diagnostics": {"missing_group_key": n, "invalid_timestamp": n},
                "referenced_by": [id (or title) of each correlation using it],
                "notes": [...], "seconds": s, "error": null | "short reason"}],
     "events": N, "warnings": [...], "columns": {column: field},
     "multi_valued_fields": [...], "elapsed_seconds": s, "timings": {...}}
A rule that cannot be read, parsed, converted or run gets an "error" (prefixed
read:, YAML:, parse:, references:, convert: or SQL:) and the run goes on; an
unreadable file gives one entry with id and title null.  A rule a
correlation uses is still reported with its own matches whatever the
correlation's `generate` flag says; "referenced_by" tells them apart.  Group
values are as SQLite returns them (lower-cased, see Correlations); windows are
ISO-8601 UTC with milliseconds.

How events are presented to the backend
---------------------------------------
Columns.  Every field name the rules use (detection items, `|fieldref` targets,
correlation group-by, value_count `field`, aliases) becomes one TEXT column
named f<N>_<field>, through a pySigma FieldFunctionTransformation pipeline (so
no SQL identifier clashes: SQLite column names ignore case, Sigma field names
here do not).  eventTime is always a column (the correlation timestamp); `line`
is the event id.

Field paths.  A field name is split on dots and walked from the event root:
userIdentity.sessionContext.sessionIssuer.type reads
event["userIdentity"]["sessionContext"]["sessionIssuer"]["type"].  JSON keys
match case-sensitively.  A key that itself contains dots is found too: at each
object every split of the rest of the path is tried (`a.b.c` reads the key
"a.b" then "c" as well as a -> b -> c; every match counts).

Arrays.  Wherever the walk meets an array, in the middle or at the end of the
path, it continues into every element (nested arrays are flattened).  A field
therefore yields a list of values: resources.ARN every resource's ARN,
requestParameters.instancesSet.items.instanceId every instance id,
requestParameters.layers every layer.  A comparison holds when ANY value
satisfies it, so a negated one (`not filter`, `|neq`) holds when NO value
does.  An array at the end of a path yields its elements, never its own JSON
text.  SQL: a field that yields more than one value for some event is stored as
a JSON array of its values and each comparison on it becomes
    EXISTS (SELECT 1 FROM (SELECT CAST(value AS TEXT) AS v FROM json_each(col))
            AS a WHERE <the backend's comparison, on a.v>)
(`|fieldref` between two such fields iterates both); other fields are plain
columns.  Both layouts give the same answers.

Values.  Every value is compared as text:
  - strings as they are;
  - integers as written; decimals/exponents (1.50, 1e3) as their source text;
    so rule values 22 and '22' both match the JSON number 22 and the string
    "22", but not 22.0;
  - booleans as "true" / "false": rule values true and 'true' both match JSON
    true and the string "true"; a rule boolean also matches 1 / 0 (the backend
    emits `(f='true' OR f=1)` to suit tables that store booleans as integers);
  - an object at the end of a path as its compact JSON text: no spaces, keys in
    source order, non-ASCII kept, strings JSON-escaped, numbers in Python's
    json spelling (integers exact, 1.50 -> 1.5).  So requestParameters|contains:
    'Suspended' searches the JSON text of requestParameters, where a quote
    inside a nested string reads \" and a nested JSON-encoded policy is
    escaped text;
  - JSON null yields no value.
Null and absent.  A field is absent from an event when it yields no value: the
key is missing, or its value is null, an empty array or an array of nulls.
`field: null` and `field|exists: false` match exactly those events,
`field|exists: true` all others.  A comparison on an absent field is false and
its negation true (also `|neq`: an event without the field matches).

Case.  Plain, wildcard, contains / startswith / endswith, |cidr, |fieldref and
keyword matches ignore case for ASCII letters only (SQLite NOCASE and LIKE);
|cased uses GLOB (exact case); |re is Python re.search, case-sensitive unless
|re|i, with |re|m and |re|s as inline flags (pySigma first rejects patterns
RE2 cannot parse: lookarounds, backreferences).

Keywords (a detection that is a list of plain strings) match, with contains
semantics, a text made of every string / number / boolean value of the event
joined by newlines.

Numeric modifiers (|lt |lte |gt |gte) compare numerically when the value reads
as a JSON number ("22", 22, 2.5e1) and are false otherwise.  Time modifiers
(|minute ... |year) use SQLite strftime on the ISO text.  |expand placeholders
are rejected (no values are configured), as the spec requires.

Correlations (the backend's semantics):
  - time is eventTime read by SQLite julianday() (ISO 8601, "Z" or offset,
    any number of fractional digits); events it cannot read take no part
    (diagnostics.invalid_timestamp);
  - windows slide and end at events: event_count / value_count evaluate the
    window [t - timespan, t] (both ends inclusive) for every matching event t
    of a group, so one burst yields one group per qualifying ending event, each
    listing every event in its window;
  - temporal / temporal_ordered: the same windows; ordered needs strictly
    increasing times in `rules:` order (equal timestamps are not ordered); with
    no condition every referenced rule must occur;
  - group-by values compare case-insensitively (ASCII) and events lacking a
    group-by field are left out (diagnostics.missing_group_key); value_count
    counts distinct values case-insensitively and ignores events without the
    field; a multi-valued field groups / counts by the JSON array of its
    values;
  - a correlation may use another correlation (the backend compiles chains);
  - `rules:` entries resolve by id or `name` as the spec says; as an extension
    an entry matching neither resolves by rule title, first in the same file,
    then uniquely in any file given (Suzaku's rules refer by title); each such
    resolution is listed in "notes".  A referenced rule from another file is
    compiled into this file's correlation only.

Known differences from the Sigma specification (cite these)
-----------------------------------------------------------
 1. Case folding is ASCII-only: 'événement' does not match "ÉVÉNEMENT".
 2. JSON null and a missing key are both "absent": the spec's `exists` checks
    presence "be it empty or null", so errorCode|exists: true on
    {"errorCode": null} is true by the spec, false here.
 3. An empty array (or an array of nulls) is absent too.
 4. Regular expressions run on Python's `re`, not PCRE (the spec's subset
    behaves alike; RE2 validation rejects more than the spec does).
 5. Numbers are compared as text: the JSON number 22.0 does not equal 22 and
    numbers inside an object's JSON text are re-spelled (1.50 -> 1.5).
 6. A rule boolean true/false also matches 1/0.
 7. |cidr is expanded by pySigma into text prefixes: IPv6 addresses match only
    in the spelling pySigma expands to (the backend says so).
 8. The spec leaves window alignment open ("should not be restricted to
    boundaries"); sliding windows ending at each event are the backend's
    reading, and a burst gives several overlapping groups.
 9. Correlations by rule title are an extension (the spec: id or name).
10. |neq and negated selections match events that lack the field.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import functools
import json
import pathlib
import re
import sqlite3
import sys
import time
import traceback

import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.backends.sqlite.runtime import execute_plan
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldFunctionTransformation
from sigma.rule import SigmaRule
from sigma.types import SigmaExists, SigmaFieldReference, SigmaNull

# libyaml's loader when present (same YAML 1.1 resolution as SafeLoader, ~10x faster).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TABLE = "logs"
LINE_COLUMN = "line"
FULLTEXT_COLUMN = "__fulltext"
TIME_FIELD = "eventTime"
# Placeholder field names standing for one array element inside EXISTS (...).
ELEMENT_LEFT, ELEMENT_RIGHT = "__element_a", "__element_b"


# ---------------------------------------------------------------------------
# Events: JSON -> lists of text values per field path
# ---------------------------------------------------------------------------


class JsonDecimal(float):
    """A JSON number written with a fraction or exponent; keeps its source text."""

    text: str


def parse_decimal(text: str) -> JsonDecimal:
    number = JsonDecimal(text)
    number.text = text
    return number


def parse_event(line: str):
    return json.loads(line, parse_float=parse_decimal, parse_constant=parse_decimal)


def leaf_text(node) -> str:
    """The text one non-null, non-array value is compared as."""
    if node is True:
        return "true"
    if node is False:
        return "false"
    if isinstance(node, str):
        return node
    if isinstance(node, JsonDecimal):
        return node.text
    if isinstance(node, dict):
        return json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    return str(node)  # integer


def path_steps(field: str) -> list[list[tuple[str, int]]]:
    """For each position i in the dotted path, the keys to try and where each leads.

    A JSON key may itself contain dots, so at position i every join of parts[i:j]
    is a candidate key leading to position j."""
    parts = field.split(".")
    return [
        [(".".join(parts[i:j]), j) for j in range(i + 1, len(parts) + 1)]
        for i in range(len(parts))
    ]


def plain_values(node, parts: list[str], i: int, out: list[str]) -> None:
    """field_values for a path none of whose dotted joins is a key in the input."""
    end = len(parts)
    while True:
        if type(node) is list:
            for element in node:
                plain_values(element, parts, i, out)
            return
        if i == end:
            if node is not None:
                out.append(leaf_text(node))
            return
        if type(node) is not dict:
            return
        node = node.get(parts[i])  # a missing key and null both end the walk
        i += 1


def field_values(node, steps, i: int, out: list[str]) -> None:
    """Append to `out` every value the path steps[i:] reaches from node."""
    end = len(steps)
    while True:
        if type(node) is list:  # arrays fan out, at any depth and at the end
            for element in node:
                field_values(element, steps, i, out)
            return
        if i == end:
            if node is not None:
                out.append(leaf_text(node))
            return
        if type(node) is not dict:
            return
        found = [(node[key], j) for key, j in steps[i] if key in node]
        if len(found) != 1:
            for child, j in found:
                field_values(child, steps, j, out)
            return
        node, i = found[0]


def fulltext(node, out: list[str]) -> None:
    """Every scalar value of the event (for keyword search)."""
    if isinstance(node, dict):
        for v in node.values():
            fulltext(v, out)
    elif isinstance(node, list):
        for v in node:
            fulltext(v, out)
    elif node is not None:
        out.append(leaf_text(node))


class Columns:
    """Maps Sigma field names to table columns and computes their cells lazily."""

    def __init__(self, events: list[tuple[int, dict]], raw_text: str):
        self.events = events
        self.raw_text = raw_text
        self.column_of: dict[str, str] = {}  # field name -> column
        self.field_of: dict[str, str] = {}  # column -> field name
        self.cells: dict[str, list] = {}  # column -> one cell per event
        self.multi: set[str] = set()  # columns holding JSON arrays

    def column(self, field: str | None) -> str | None:
        """FieldFunctionTransformation callback: field name -> column name."""
        if field is None or field in self.field_of or field in (ELEMENT_LEFT, ELEMENT_RIGHT):
            return field  # keyword, or already mapped (pipelines may run twice)
        if field not in self.column_of:
            name = f"f{len(self.column_of)}_" + re.sub(r"\W", "_", field)[:40]
            self.column_of[field] = name
            self.field_of[name] = field
            self.cells[name], multi = self._cells(field)
            if multi:
                self.multi.add(name)
        return self.column_of[field]

    def _cells(self, field: str) -> tuple[list, bool]:
        """One cell per event for `field`, and whether any event has several values."""
        steps = path_steps(field)
        parts = field.split(".")
        # Speed only: unless a dotted join of the path occurs as a quoted key somewhere
        # in the input (or the input has \\u escapes), walk the plain split path.
        dotted = [key for step in steps for key, _ in step if "." in key]
        plain = not dotted or (
            "\\u" not in self.raw_text
            and not any(json.dumps(k, ensure_ascii=False) in self.raw_text for k in dotted)
        )
        end = len(parts)
        per_event: list = []  # None, one text, or a list of texts
        for _, event in self.events:
            node, i = event, 0
            if plain:  # inline fast path through nested objects
                while i < end and type(node) is dict:
                    node = node.get(parts[i])
                    i += 1
                if i == end and node is not None and type(node) is not list:
                    per_event.append(leaf_text(node))
                    continue
                if type(node) is not list:
                    per_event.append(None)
                    continue
            values: list[str] = []
            if plain:
                plain_values(node, parts, i, values)
            else:
                field_values(node, steps, i, values)
            per_event.append(values[0] if len(values) == 1 else values or None)
        if not any(type(v) is list for v in per_event):
            return per_event, False
        cells = [
            None if v is None else json.dumps(v if type(v) is list else [v], ensure_ascii=False)
            for v in per_event
        ]
        return cells, True


def load_events(path: str, warnings: list[str]) -> tuple[list[tuple[int, dict]], str]:
    """(line number, event) for every JSON-object line, and the file's text."""
    events = []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        text = f.read()
    # Split on "\n" only: JSON strings may hold U+2028 etc., which splitlines() splits on.
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            event = parse_event(line)
        except ValueError as e:
            warnings.append(f"line {number}: not JSON ({e})")
            continue
        if not isinstance(event, dict):
            warnings.append(f"line {number}: not a JSON object")
            continue
        events.append((number, event))
    return events, text


# ---------------------------------------------------------------------------
# Backend: the sqlite backend, with array-valued columns wrapped in EXISTS
# ---------------------------------------------------------------------------


class OracleBackend(sqliteBackend):
    """pySigma-backend-sqlite plus "any element" semantics for multi-valued columns."""

    # |lt/|lte/|gt/|gte: numeric only when the text reads as a JSON number.
    compare_op_expression = (
        "(CASE WHEN json_valid({field}) THEN CASE WHEN json_type({field}) IN "
        "('integer', 'real') THEN CAST({field} AS REAL) END END) {operator} {value}"
    )

    def __init__(self, columns: Columns, **options):
        self.columns = columns
        pipeline = ProcessingPipeline(
            name="trailscope oracle field columns",
            priority=100,
            items=[
                ProcessingItem(
                    identifier="field_to_column",
                    transformation=FieldFunctionTransformation(
                        mapping={}, transform_func=columns.column
                    ),
                )
            ],
        )
        super().__init__(processing_pipeline=pipeline, **options)

    def escape_and_quote_field(self, field):
        if field == ELEMENT_LEFT:
            return "a.v"
        if field == ELEMENT_RIGHT:
            return "b.v"
        return super().escape_and_quote_field(field)

    def convert_condition_field_eq_val(self, cond, state):
        value = cond.value
        if isinstance(value, (SigmaNull, SigmaExists)):
            return super().convert_condition_field_eq_val(cond, state)  # NULL-ness only
        left_multi = cond.field in self.columns.multi
        right_multi = (
            isinstance(value, SigmaFieldReference) and value.field in self.columns.multi
        )
        if not (left_multi or right_multi):
            return super().convert_condition_field_eq_val(cond, state)
        sources = []
        field = cond.field
        if left_multi:
            sources.append(self._elements(cond.field, "a"))
            field = ELEMENT_LEFT
        if right_multi:
            sources.append(self._elements(value.field, "b"))
            value = SigmaFieldReference(ELEMENT_RIGHT, value.starts_with, value.ends_with)
        inner = ConditionFieldEqualsValueExpression(field, value)
        inner.parent = cond.parent
        expr = super().convert_condition_field_eq_val(inner, state)
        return f"EXISTS (SELECT 1 FROM {', '.join(sources)} WHERE {expr})"

    def _elements(self, column: str, alias: str) -> str:
        quoted = super().escape_and_quote_field(column)
        return f"(SELECT CAST(value AS TEXT) AS v FROM json_each({quoted})) AS {alias}"


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str):
    return re.compile(pattern)


def sql_regexp(pattern, value):
    """SQLite REGEXP: `value REGEXP pattern`; false for NULL."""
    if value is None or pattern is None:
        return 0
    return 1 if _compiled(pattern).search(str(value)) else 0


# ---------------------------------------------------------------------------
# Rules: files -> per-file collections with correlation references resolved
# ---------------------------------------------------------------------------


def rule_files(paths: list[str]) -> list[pathlib.Path]:
    files = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            files += sorted(x for x in p.rglob("*") if x.suffix in (".yml", ".yaml"))
        else:
            files.append(p)
    return files


class RuleSet:
    """All YAML documents of all files, indexed for reference resolution."""

    def __init__(self, files: list[pathlib.Path]):
        self.files = []  # (path, [docs] or None, error)
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
                docs = [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d is not None]
                bad = [d for d in docs if not isinstance(d, dict)]
                if bad:
                    raise ValueError("a YAML document is not a mapping")
                self.files.append((path, docs, None))
            except OSError as e:
                self.files.append((path, None, f"read: {e}"[:300]))
            except Exception as e:  # YAML syntax error, or a document that is no mapping
                self.files.append((path, None, f"YAML: {e}".splitlines()[0][:300]))
        self.index = {"key": {}, "title": {}}  # id/name -> [(f, d)], title -> [(f, d)]
        for f, (_, docs, _) in enumerate(self.files):
            for d, doc in enumerate(docs or []):
                for key in (doc.get("id"), doc.get("name")):
                    if key is not None:
                        self.index["key"].setdefault(str(key), []).append((f, d))
                if doc.get("title") is not None:
                    self.index["title"].setdefault(str(doc["title"]), []).append((f, d))
        # (file, doc) -> ids (or titles) of the correlations that refer to it
        self.referrers: dict[tuple[int, int], list[str]] = {}
        for f, (_, docs, _) in enumerate(self.files):
            for doc in docs or []:
                corr = doc.get("correlation")
                refs = corr.get("rules") if isinstance(corr, dict) else None
                for ref in refs if isinstance(refs, list) else []:
                    found = self.resolve(f, str(ref))
                    if found is not None:
                        label = str(doc.get("id") or doc.get("title"))
                        self.referrers.setdefault(found[:2], []).append(label)

    def resolve(self, f: int, ref: str):
        """(file, doc, how) that a correlation reference in file f names, or None."""
        for kind in ("key", "title"):
            hits = self.index[kind].get(ref, [])
            local = [h for h in hits if h[0] == f]
            for candidates, where in ((local, "same file"), (hits, "other file")):
                if len(candidates) == 1:
                    return (*candidates[0], f"{'id/name' if kind == 'key' else 'title'}, {where}")
                if len(candidates) > 1 and kind == "title":
                    break  # ambiguous title: try no further
        return None

    def documents_for(self, f: int):
        """Documents to parse for file f: its own plus borrowed referenced ones.

        Returns (docs, own_count, notes); correlation references not written as
        an id or name present in the collection are rewritten to the target's id
        (or a name is given to the target)."""
        own = copy.deepcopy(self.files[f][1])
        docs, notes = list(own), {}
        position = {(f, d): d for d in range(len(own))}
        work = [i for i, doc in enumerate(docs) if isinstance(doc.get("correlation"), dict)]
        while work:
            i = work.pop()
            corr = docs[i]["correlation"]
            refs = corr.get("rules")
            if not isinstance(refs, list):
                continue
            for k, ref in enumerate(refs):
                ref = str(ref)
                found = self.resolve(f, ref)
                if found is None:
                    continue  # pySigma will report it
                tf, td, how = found
                if (tf, td) not in position:  # borrow a rule from another file
                    docs.append(copy.deepcopy(self.files[tf][1][td]))
                    position[(tf, td)] = len(docs) - 1
                    if isinstance(docs[-1].get("correlation"), dict):
                        work.append(len(docs) - 1)
                target = docs[position[(tf, td)]]
                if how.startswith("title") or tf != f:
                    if target.get("id") is None and target.get("name") is None:
                        target["name"] = ref
                    new = str(target.get("id") or target.get("name"))
                    refs[k] = new
                    notes.setdefault(i, []).append(f"rule reference {ref!r} resolved by {how}")
        return docs, len(own), notes


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


def short_error(e: Exception) -> str:
    text = f"{type(e).__name__}: {e}".replace("\n", " ")
    return text[:300]


def iso(seconds) -> str | None:
    if seconds is None:
        return None
    t = datetime.datetime.fromtimestamp(float(seconds), tz=datetime.timezone.utc)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run(rule_paths: list[str], events_path: str, dump_sql: str | None) -> dict:
    t0 = time.perf_counter()
    timings = {}
    warnings: list[str] = []
    events, raw_text = load_events(events_path, warnings)
    timings["load_events"] = time.perf_counter() - t0

    t = time.perf_counter()
    ruleset = RuleSet(rule_files(rule_paths))
    columns = Columns(events, raw_text)
    time_column = columns.column(TIME_FIELD)
    backend = OracleBackend(
        columns,
        table=TABLE,
        collate_nocase=True,
        fulltext_field=FULLTEXT_COLUMN,
        timestamp_field=time_column,
        event_id_field=LINE_COLUMN,
    )

    entries = []  # output entries, in file/document order
    jobs = []  # (entry, kind, sql)
    for f, (path, docs, error) in enumerate(ruleset.files):
        if docs is None:
            entries.append(dict(file=str(path), id=None, title=None, kind="single",
                                matches=[], error=error))
            continue
        convert_file(ruleset, f, path, backend, entries, jobs)
    timings["parse_and_convert"] = time.perf_counter() - t

    # Build the table with the columns the rules asked for.
    t = time.perf_counter()
    conn = sqlite3.connect(":memory:")
    conn.create_function("regexp", 2, sql_regexp, deterministic=True)
    names = list(columns.cells)
    needs_fulltext = any(FULLTEXT_COLUMN in json.dumps(sql) for _, _, sql in jobs)
    defs = [f"{LINE_COLUMN} INTEGER PRIMARY KEY"] + [f"`{n}` TEXT" for n in names]
    if needs_fulltext:
        defs.append(f"{FULLTEXT_COLUMN} TEXT")
    conn.execute(f"CREATE TABLE {TABLE} ({', '.join(defs)})")
    rows = []
    for k, (line, event) in enumerate(events):
        row = [line] + [columns.cells[n][k] for n in names]
        if needs_fulltext:
            words: list[str] = []
            fulltext(event, words)
            row.append("\n".join(words))
        rows.append(row)
    conn.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(defs))})", rows)
    # Case-insensitive indexes let SQLite seek `col='v' COLLATE NOCASE` (speed only).
    for n in names:
        if n not in columns.multi:
            conn.execute(f"CREATE INDEX `i_{n}` ON {TABLE} (`{n}` COLLATE NOCASE)")
    conn.execute("ANALYZE")
    timings["build_table"] = time.perf_counter() - t

    t = time.perf_counter()
    for n, (entry, kind, sql) in enumerate(jobs):
        if dump_sql:
            out = pathlib.Path(dump_sql)
            out.mkdir(parents=True, exist_ok=True)
            if kind == "single":
                name, text = f"{n:04d}.sql", f"-- {entry['file']} :: {entry['title']}\n{sql}\n"
            else:  # a correlation plan: the backend's stages as JSON
                name = f"{n:04d}.plan.json"
                text = json.dumps({"file": entry["file"], "title": entry["title"], "plan": sql},
                                  indent=1)
            (out / name).write_text(text, encoding="utf-8")
        started = time.perf_counter()
        try:
            if kind == "single":
                entry["matches"] = [r[0] for r in conn.execute(sql)]
            else:
                entry["groups"], entry["diagnostics"] = correlation_groups(conn, sql, columns)
        except Exception as e:
            entry["error"] = "SQL: " + short_error(e)
        entry["seconds"] = round(time.perf_counter() - started, 4)
    timings["execute"] = time.perf_counter() - t
    conn.close()

    return {
        "rules": entries,
        "events": len(events),
        "warnings": warnings,
        "columns": {c: columns.field_of[c] for c in names},
        "multi_valued_fields": sorted(columns.field_of[c] for c in columns.multi),
        "elapsed_seconds": round(time.perf_counter() - t0, 3),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def parse_documents(docs: list[dict]) -> list:
    """One pySigma rule, or an error string, per YAML document."""
    parsed = []
    for doc in docs:
        try:
            if "action" in doc:
                raise ValueError("Sigma 1 collection `action:` documents are not supported")
            collection = SigmaCollection.from_dicts([doc], collect_errors=True,
                                                    resolve_references=False)
            if len(collection.rules) != 1:
                raise ValueError("not a detection or correlation rule (a meta filter?)")
            parsed.append(collection.rules[0])
        except Exception as e:
            parsed.append("parse: " + short_error(e))
    return parsed


def referenced_first(rules: list) -> list:
    """Rules ordered so that every correlation comes after the rules it uses."""
    ordered, placed = [], set()

    def place(rule):
        if id(rule) in placed:
            return
        placed.add(id(rule))
        for ref in getattr(rule, "referenced_rules", None) or []:
            if getattr(ref, "rule", None) is not None:
                place(ref.rule)
        ordered.append(rule)

    for rule in rules:
        place(rule)
    return ordered


def convert_file(ruleset: RuleSet, f: int, path, backend, entries, jobs) -> None:
    """Parse one file's documents, convert every rule, queue its query."""
    docs, own, notes = ruleset.documents_for(f)
    parsed = parse_documents(docs)  # own documents first, then borrowed ones
    rules = [p for p in parsed if not isinstance(p, str)]
    failed: dict[int, str] = {}
    for rule in rules:
        if rule.errors:
            failed[id(rule)] = "parse: " + short_error(rule.errors[0])
    # Resolve each correlation on its own, so one bad reference spoils one rule only.
    collection = SigmaCollection(init_rules=rules, resolve_references=False)
    for rule in rules:
        if isinstance(rule, SigmaCorrelationRule) and id(rule) not in failed:
            try:
                rule.resolve_rule_references(collection)
            except Exception as e:
                failed[id(rule)] = "references: " + short_error(e)

    backend.init_processing_pipeline()
    queries: dict[int, list] = {}

    def keep(rule, output_format, index, cond, result):
        # Called per condition with the bare predicate, before any SELECT wrapping.
        if result is not None and isinstance(rule, SigmaRule):
            queries.setdefault(id(rule), []).append(result)
        return result

    for rule in referenced_first(rules):
        if id(rule) in failed:
            continue
        try:
            if isinstance(rule, SigmaRule):
                if any(not str(c or "").strip() for c in rule.detection.condition or [None]):
                    raise ValueError("empty condition")
                backend.convert_rule(rule, "default", callback=keep)
                continue
            broken = [r.rule for r in rule.referenced_rules if id(r.rule) in failed]
            if broken:
                raise ValueError(f"referenced rule {broken[0].title!r} failed")
            # The zircolite format carries the backend's correlation plan: the stages
            # of its one-statement SQL, materialized with indexes when executed.
            # get_conversion_result(), not the return value: a correlation used by
            # another correlation returns nothing but is converted all the same.
            backend.convert_correlation_rule(rule, "zircolite")
            plans = rule.get_conversion_result()
            if len(plans) != 1 or "correlation_plan" not in plans[0]:
                raise ValueError(f"backend returned {len(plans)} plans")
            queries[id(rule)] = [plans[0]["correlation_plan"]]
        except Exception as e:
            failed[id(rule)] = "convert: " + short_error(e)

    for position in range(own):
        rule, doc = parsed[position], docs[position]
        correlation = isinstance(rule, SigmaCorrelationRule) or (
            isinstance(rule, str) and "correlation" in doc
        )
        entry = dict(file=str(path), id=None, title=None,
                     kind="correlation" if correlation else "single")
        if isinstance(rule, str):  # unparsable document: name it from the YAML
            entry.update(id=str(doc["id"]) if doc.get("id") else None,
                         title=str(doc["title"]) if doc.get("title") else None)
        else:
            entry.update(id=str(rule.id) if rule.id else None, title=rule.title)
        if correlation:
            kind = getattr(rule, "type", None)
            entry["type"] = kind.name.lower() if kind else doc["correlation"].get("type")
            entry["groups"] = []
        else:
            entry["matches"] = []
        if ruleset.referrers.get((f, position)):
            entry["referenced_by"] = ruleset.referrers[(f, position)]
        if notes.get(position):
            entry["notes"] = notes[position]
        entry["error"] = rule if isinstance(rule, str) else failed.get(id(rule))
        if entry["error"] is None:
            query = queries.get(id(rule))
            if not query:
                entry["error"] = "convert: no query produced"
            elif correlation:
                jobs.append((entry, "correlation", query[0]))
            else:
                where = " OR ".join(f"({q})" for q in query)
                jobs.append((entry, "single", f"SELECT {LINE_COLUMN} FROM {TABLE} "
                                              f"WHERE {where} ORDER BY {LINE_COLUMN}"))
        entries.append(entry)


def correlation_groups(conn, plan: dict, columns: Columns) -> tuple[list[dict], dict]:
    """Run a correlation plan with the backend's executor.

    Returns one dict per firing window, and the backend's diagnostic counts
    (events left out for a missing group key or an unreadable timestamp)."""
    rows, diagnostics = execute_plan(conn, plan, include_events=False)
    groups = []
    for r in rows:
        keys = r["group_keys"]
        lines = sorted(int(e.rsplit(":", 1)[1]) for e in r["event_ids"])
        groups.append({
            "group": {columns.field_of.get(k, k): v for k, v in keys.items()},
            "window_start": iso(r["window_start"]),
            "window_end": iso(r["window_end"]),
            "metric": r["metric_value"],
            "events": lines,
        })
    return groups, diagnostics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", action="append", required=True,
                        help="rule file or folder (repeatable)")
    parser.add_argument("--events", required=True, help="JSONL file, one event per line")
    parser.add_argument("--out", required=True, help="result JSON file")
    parser.add_argument("--dump-sql", help="write each rule's SQL into this folder")
    args = parser.parse_args(argv)
    try:
        result = run(args.rules, args.events, args.dump_sql)
    except Exception:
        traceback.print_exc()
        return 2
    pathlib.Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    rules = result["rules"]
    errors = sum(1 for r in rules if r["error"])
    firing = sum(1 for r in rules if r.get("matches") or r.get("groups"))
    print(f"{len(rules)} rules ({errors} with errors), {result['events']} events, "
          f"{firing} rules matched; {result['elapsed_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
