//! What trailscope knows about each field of an event, one table entry per
//! field: how it is read from a record, how people name it in queries, how
//! it is shown, and where it appears (facets panel, list column, fuzzy
//! summary, `stats`). Every such list is derived from [`FIELDS`]; adding a
//! field is one entry.

use std::borrow::Cow;

/// How a field's value is read from a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Get {
    /// `eventTime`, kept as an integer.
    Time,
    /// A top-level member. `insight`: Insights events carry it inside
    /// `insightDetails` instead.
    Top { key: &'static str, insight: bool },
    /// A member of `userIdentity`.
    Identity(&'static str),
    /// The readable identity derived from `userIdentity` (see `actor.rs`).
    Actor,
    /// The access key a call's response issued (`credentials`,
    /// `accessKey` or `roleCredentials` `.accessKeyId` in `responseElements`).
    Issued,
    /// The principal a call issued credentials to, or set a password for,
    /// as an ARN (see `record::issued_to`).
    IssuedTo,
    /// Computed beside the store (detections, identity): a query asks the
    /// annex that computes it.
    Derived,
}

/// Where a field's values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The time column.
    Time,
    /// An interned column: counted in facets, matched by id.
    Column,
    /// Read from the record when a query asks (values too varied to intern).
    Record,
    /// Not in the store: computed beside it (see [`Get::Derived`]).
    Derived,
}

/// How a stored value is shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Plain,
    /// `s3.amazonaws.com`, shown `s3` where room is short (list, summary).
    Service,
    /// `root@ACCOUNT`, shown `root` while only one account is loaded.
    Actor,
}

/// A column of the event list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListColumn {
    /// The heading; empty: the label in capitals.
    pub heading: &'static str,
    /// Position from the left.
    pub order: u8,
    /// Least and most cells.
    pub min: u16,
    pub max: u16,
    /// When the screen is narrow, columns with a higher rank are given up
    /// first; 0 is never given up.
    pub rank: u8,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub field: Field,
    /// What people read in lists and headings.
    pub label: &'static str,
    /// CloudTrail's own name (keys of `stats --json`).
    pub name: &'static str,
    /// Names a query may use, lowercase; the first is printed. Two fields
    /// may share a name (`account` looks at both accounts).
    pub queries: &'static [&'static str],
    pub get: Get,
    pub kept: Kept,
    pub show: Show,
    /// Position in the explorer's facets panel.
    pub panel: Option<u8>,
    /// Position in `stats`.
    pub stats: Option<u8>,
    pub column: Option<ListColumn>,
    /// Part of the summary line fuzzy words are scored against.
    pub summary: bool,
    /// How an event without a value is shown where events are grouped by
    /// the field (and so how a query names it).
    pub absent: Option<&'static str>,
    /// For a field trailscope works out with few values: every value it
    /// takes (a query naming another is an error, not an empty result);
    /// `["#"]`: a number.
    pub values: Option<&'static [&'static str]>,
}

impl FieldDef {
    const DEFAULT: FieldDef = FieldDef {
        field: Field::Time,
        label: "",
        name: "",
        queries: &[],
        get: Get::Time,
        kept: Kept::Column,
        show: Show::Plain,
        panel: None,
        stats: None,
        column: None,
        summary: false,
        absent: None,
        values: None,
    };
}

const fn top(key: &'static str) -> Get {
    Get::Top { key, insight: false }
}

const fn col(order: u8, min: u16, max: u16, rank: u8) -> Option<ListColumn> {
    Some(ListColumn { heading: "", order, min, max, rank })
}

/// Declares [`Field`] and [`FIELDS`] from one list, so the two cannot drift.
macro_rules! fields {
    ($($id:ident { $($key:ident: $value:expr),* $(,)? }),* $(,)?) => {
        /// A field of an event. See [`FIELDS`] for what each one is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $($id),* }

        /// The table: one entry per field, in [`Field`] order.
        pub const FIELDS: &[FieldDef] = &[$(FieldDef { field: Field::$id, $($key: $value,)* ..FieldDef::DEFAULT }),*];
    };
}

fields! {
    Time { label: "time", name: "eventTime", kept: Kept::Time, column: col(1, 19, 19, 0) },
    Source {
        label: "service", name: "eventSource", queries: &["source", "service", "eventsource"],
        get: Get::Top { key: "eventSource", insight: true }, show: Show::Service,
        panel: Some(1), stats: Some(1), column: col(2, 8, 16, 3), summary: true,
    },
    Name {
        label: "event", name: "eventName", queries: &["name", "eventname"],
        get: Get::Top { key: "eventName", insight: true },
        panel: Some(2), stats: Some(2), column: col(3, 14, 36, 0), summary: true,
    },
    Actor {
        label: "actor", name: "actor", queries: &["actor", "user"], get: Get::Actor, show: Show::Actor,
        panel: Some(3), stats: Some(7), column: col(4, 12, 30, 1), summary: true, absent: Some(NO_IDENTITY),
    },
    IdentityType {
        label: "identity type", name: "userIdentity.type", queries: &["type", "useridentity.type"],
        get: Get::Identity("type"), panel: Some(8), stats: Some(5),
    },
    Region {
        label: "region", name: "awsRegion", queries: &["region", "awsregion"], get: top("awsRegion"),
        panel: Some(5), stats: Some(3), column: col(6, 14, 16, 5), summary: true,
    },
    Ip {
        label: "source IP", name: "sourceIPAddress", queries: &["ip", "sourceipaddress"], get: top("sourceIPAddress"),
        panel: Some(6), stats: Some(8), column: col(5, 15, 39, 4),
    },
    Account {
        label: "account", name: "recipientAccountId", queries: &["account", "recipientaccountid"],
        get: top("recipientAccountId"), panel: Some(4), stats: Some(6),
    },
    IdentityAccount {
        label: "caller account", name: "userIdentity.accountId", queries: &["account", "useridentity.accountid"],
        get: Get::Identity("accountId"),
    },
    Error {
        label: "error", name: "errorCode", queries: &["error", "errorcode"], get: top("errorCode"),
        panel: Some(7), stats: Some(4), column: col(7, 12, 26, 2), summary: true,
    },
    Agent { label: "user agent", name: "userAgent", queries: &["agent", "useragent"], get: top("userAgent"), panel: Some(9) },
    ReadOnly { label: "read-only", name: "readOnly", queries: &["readonly"], get: top("readOnly") },
    EventType { label: "event type", name: "eventType", queries: &["eventtype"], get: top("eventType") },
    Category { label: "category", name: "eventCategory", queries: &["category", "eventcategory"], get: top("eventCategory") },
    AccessKey {
        label: "access key", name: "userIdentity.accessKeyId", queries: &["key", "useridentity.accesskeyid"],
        get: Get::Identity("accessKeyId"),
    },
    EventId { label: "event ID", name: "eventID", queries: &["id", "eventid"], get: top("eventID"), kept: Kept::Record },
    RequestId { label: "request ID", name: "requestID", queries: &["request", "requestid"], get: top("requestID"), kept: Kept::Record },
    Arn { label: "identity ARN", name: "userIdentity.arn", queries: &["arn", "useridentity.arn"], get: Get::Identity("arn") },
    Principal { label: "principal", name: "userIdentity.principalId", queries: &["principal", "useridentity.principalid"], get: Get::Identity("principalId") },
    InvokedBy { label: "invoked by", name: "userIdentity.invokedBy", queries: &["invokedby", "useridentity.invokedby"], get: Get::Identity("invokedBy") },
    Vpce { label: "VPC endpoint", name: "vpcEndpointId", queries: &["vpce", "vpcendpointid"], get: top("vpcEndpointId"), kept: Kept::Record },
    Message { label: "error message", name: "errorMessage", queries: &["message", "errormessage"], get: top("errorMessage"), kept: Kept::Record },
    IssuedKey {
        label: "issued key", name: "issuedKey", queries: &["issued", "issuedkey"],
        get: Get::Issued,
    },
    IssuedTo {
        label: "issued to", name: "issuedTo", queries: &["issuedto"],
        get: Get::IssuedTo,
    },
    Rule { label: "rule", name: "rule", queries: &["rule"], get: Get::Derived, kept: Kept::Derived },
    Origin {
        label: "origin", name: "origin", queries: &["origin"], get: Get::Derived, kept: Kept::Derived, panel: Some(3),
        absent: Some(NO_IDENTITY),
        // Shown when a row's credentials lead back to someone other than its actor.
        column: col(4, 10, 26, 2),
    },
    Session { label: "session", name: "session", queries: &["session"], get: Get::Derived, kept: Kept::Derived },
    Incident {
        label: "incident", name: "incident", queries: &["incident"], get: Get::Derived, kept: Kept::Derived,
        values: Some(&["#"]),
    },
    New {
        label: "new", name: "new", queries: &["new"], get: Get::Derived, kept: Kept::Derived, panel: Some(10),
        values: Some(&["ip", "net", "agent", "region", "call", "account"]),
        // What an event's identity did for the first time (after its learning window).
        column: Some(ListColumn { heading: "NEW", order: 8, min: 3, max: 18, rank: 6 }),
    },
    Mark {
        label: "mark", name: "mark", queries: &["mark", "marked"], get: Get::Derived, kept: Kept::Derived,
        values: Some(&["marked"]),
        // The case's marks: shown whenever the result holds a marked event.
        column: Some(ListColumn { heading: "M", order: 0, min: 1, max: 1, rank: 0 }),
    },
    Tag {
        label: "tag", name: "tag", queries: &["tag", "tags"], get: Get::Derived, kept: Kept::Derived, panel: Some(11),
        column: Some(ListColumn { heading: "TAGS", order: 9, min: 4, max: 24, rank: 1 }),
    },
    Note { label: "note", name: "note", queries: &["note", "notes"], get: Get::Derived, kept: Kept::Derived },
    Level {
        label: "level", name: "level", queries: &["level"], get: Get::Derived, kept: Kept::Derived,
        values: Some(&["informational", "low", "medium", "high", "critical"]),
        // Shown whenever an event on screen set something off.
        column: Some(ListColumn { heading: "!", order: 0, min: 1, max: 1, rank: 0 }),
    },
}

/// How events without an identity are shown and queried (`actor:"(no identity)"`).
pub const NO_IDENTITY: &str = "(no identity)";

/// Number of fields.
pub const FIELD_COUNT: usize = FIELDS.len();

/// Number of interned columns.
pub const COLUMNS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < FIELD_COUNT {
        if matches!(FIELDS[i].kept, Kept::Column) {
            n += 1;
        }
        i += 1;
    }
    n
};

/// Each field's interned column, if it has one.
const COLUMN_OF: [Option<u8>; FIELD_COUNT] = {
    let mut out = [None; FIELD_COUNT];
    let (mut i, mut n) = (0, 0);
    while i < FIELD_COUNT {
        if matches!(FIELDS[i].kept, Kept::Column) {
            out[i] = Some(n);
            n += 1;
        }
        i += 1;
    }
    out
};

/// The fields with interned columns, in column order.
pub const COLUMN_FIELDS: [Field; COLUMNS] = {
    let mut out = [Field::Time; COLUMNS];
    let (mut i, mut n) = (0, 0);
    while i < FIELD_COUNT {
        if matches!(FIELDS[i].kept, Kept::Column) {
            out[n] = FIELDS[i].field;
            n += 1;
        }
        i += 1;
    }
    out
};

/// Number of fields in the fuzzy summary.
pub const SUMMARY_LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < FIELD_COUNT {
        if FIELDS[i].summary {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The fields of the summary line, in table order.
pub const SUMMARY_FIELDS: [Field; SUMMARY_LEN] = {
    let mut out = [Field::Time; SUMMARY_LEN];
    let (mut i, mut n) = (0, 0);
    while i < FIELD_COUNT {
        if FIELDS[i].summary {
            out[n] = FIELDS[i].field;
            n += 1;
        }
        i += 1;
    }
    out
};

/// Fields with a position in a list, sorted by it.
fn ordered(position: impl Fn(&FieldDef) -> Option<u8>) -> Vec<Field> {
    let mut v: Vec<(u8, Field)> = FIELDS.iter().filter_map(|d| position(d).map(|p| (p, d.field))).collect();
    v.sort();
    v.into_iter().map(|(_, f)| f).collect()
}

/// The facets panel, in order.
pub fn panel_fields() -> &'static [Field] {
    static V: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| ordered(|d| d.panel));
    &V
}

/// The facets `stats` reports, in order.
pub fn stats_fields() -> &'static [Field] {
    static V: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| ordered(|d| d.stats));
    &V
}

/// The list's columns, left to right.
pub fn list_fields() -> &'static [Field] {
    static V: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| ordered(|d| d.column.map(|c| c.order)));
    &V
}

/// The fields a query name refers to (case-insensitive); empty when none.
pub fn resolve(name: &str) -> Vec<Field> {
    let name = name.to_ascii_lowercase();
    FIELDS.iter().filter(|d| d.queries.contains(&name.as_str())).map(|d| d.field).collect()
}

/// What display depends on besides the value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisplayCtx {
    /// More than one account is loaded: root is shown with its account.
    pub several_accounts: bool,
}

impl Field {
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    /// CloudTrail's name for the field.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The name a query prints for the field: its first that names no
    /// other field (`account` looks at both accounts, so the recipient's
    /// facet prints `recipientaccountid`).
    pub fn query_name(self) -> &'static str {
        let own = self.def().queries.iter().find(|q| resolve(q) == [self]);
        own.or(self.def().queries.first()).copied().unwrap_or(self.def().name)
    }

    /// The field's interned column, if it has one.
    pub fn column(self) -> Option<usize> {
        COLUMN_OF[self as usize].map(usize::from)
    }

    /// A stored value as people see it.
    pub fn display(self, raw: &str, ctx: DisplayCtx) -> &str {
        match self.def().show {
            Show::Actor if !ctx.several_accounts && raw.starts_with(super::actor::ROOT_PREFIX) => "root",
            _ => raw,
        }
    }

    /// A stored value where room is short (list columns, the summary line).
    pub fn compact(self, raw: &str, ctx: DisplayCtx) -> &str {
        let shown = self.display(raw, ctx);
        match self.def().show {
            Show::Service => short_service(shown),
            _ => shown,
        }
    }

    /// Every way a value may be written in a query to match it: as stored
    /// (what `actors` and exports write), as shown, compact, and plain
    /// `root` for any root.
    pub fn spellings(self, raw: &str, ctx: DisplayCtx) -> impl Iterator<Item = Cow<'_, str>> {
        let shown = self.display(raw, ctx);
        let compact = self.compact(raw, ctx);
        let root = (self.def().show == Show::Actor && raw.starts_with(super::actor::ROOT_PREFIX)).then_some("root");
        std::iter::once(Cow::Borrowed(raw))
            .chain((shown != raw).then_some(Cow::Borrowed(shown)))
            .chain((compact != shown && compact != raw).then_some(Cow::Borrowed(compact)))
            .chain(root.filter(|r| *r != shown).map(Cow::Borrowed))
    }
}

/// `ec2` for `ec2.amazonaws.com`.
pub fn short_service(source: &str) -> &str {
    source.strip_suffix(".amazonaws.com").unwrap_or(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order_and_names_are_unique() {
        for (i, d) in FIELDS.iter().enumerate() {
            assert_eq!(d.field as usize, i, "{:?}", d.field);
            assert!(!d.label.is_empty() && !d.name.is_empty(), "{:?}", d.field);
            assert!(d.queries.iter().all(|q| q.to_ascii_lowercase() == *q), "{:?}: query names are lowercase", d.field);
        }
        let mut names: Vec<&str> = FIELDS.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELD_COUNT, "CloudTrail names are unique");
        // A query name is shared only on purpose.
        let mut shared: Vec<&str> = FIELDS.iter().flat_map(|d| d.queries.iter().copied()).collect();
        shared.sort();
        let dupes: Vec<&str> = shared.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        assert_eq!(dupes, ["account"]);
        // The evaluator reads a shared name's fields in one way: all columns, or one record field.
        for d in FIELDS {
            for q in d.queries {
                let kinds: Vec<Kept> = resolve(q).iter().map(|f| f.def().kept).collect();
                let one_of_a_kind = matches!(kinds[..], [Kept::Record] | [Kept::Derived]);
                assert!(kinds.iter().all(|k| *k == Kept::Column) || one_of_a_kind, "{q}: {kinds:?}");
            }
        }
        for list in [panel_fields(), stats_fields(), list_fields()] {
            let mut v = list.to_vec();
            v.dedup();
            assert_eq!(v.len(), list.len());
        }
    }

    #[test]
    fn derived_lists() {
        assert_eq!(COLUMNS, COLUMN_FIELDS.len());
        assert_eq!(Field::Source.column(), Some(0));
        assert_eq!(Field::Time.column(), None);
        assert_eq!(Field::Message.column(), None);
        assert_eq!(SUMMARY_FIELDS, [Field::Source, Field::Name, Field::Actor, Field::Region, Field::Error]);
        assert_eq!(list_fields()[..3], [Field::Mark, Field::Level, Field::Time]);
        assert_eq!(resolve("Account"), vec![Field::Account, Field::IdentityAccount]);
        assert_eq!(resolve("eventName"), vec![Field::Name]);
        assert!(resolve("nope").is_empty());
    }

    #[test]
    fn display_rules() {
        let one = DisplayCtx { several_accounts: false };
        let many = DisplayCtx { several_accounts: true };
        assert_eq!(Field::Actor.display("root@123", one), "root");
        assert_eq!(Field::Actor.display("root@123", many), "root@123");
        assert_eq!(Field::Source.display("s3.amazonaws.com", one), "s3.amazonaws.com");
        assert_eq!(Field::Source.compact("s3.amazonaws.com", one), "s3");
        let all: Vec<_> = Field::Actor.spellings("root@123", many).collect();
        assert_eq!(all, ["root@123", "root"]);
        let all: Vec<_> = Field::Actor.spellings("root@123", one).collect();
        assert_eq!(all, ["root@123", "root"], "the stored form too, with one account");
        assert_eq!(Field::Account.query_name(), "recipientaccountid", "`account` names two fields");
        assert_eq!(Field::Actor.query_name(), "actor");
        let all: Vec<_> = Field::Source.spellings("kms.amazonaws.com", many).collect();
        assert_eq!(all, ["kms.amazonaws.com", "kms"]);
    }
}
