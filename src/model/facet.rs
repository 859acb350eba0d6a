//! The fields the store keeps as interned columns.

/// One interned column of the store. The order is the column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    Source,
    Name,
    Actor,
    IdentityType,
    Region,
    Ip,
    Account,
    IdentityAccount,
    Error,
    Agent,
    ReadOnly,
    EventType,
    Category,
    AccessKey,
}

pub const FACET_COUNT: usize = 14;

impl Facet {
    pub const ALL: [Facet; FACET_COUNT] = [
        Facet::Source,
        Facet::Name,
        Facet::Actor,
        Facet::IdentityType,
        Facet::Region,
        Facet::Ip,
        Facet::Account,
        Facet::IdentityAccount,
        Facet::Error,
        Facet::Agent,
        Facet::ReadOnly,
        Facet::EventType,
        Facet::Category,
        Facet::AccessKey,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The field's name in CloudTrail terms, as `stats --json` reports it.
    pub fn field_name(self) -> &'static str {
        match self {
            Facet::Source => "eventSource",
            Facet::Name => "eventName",
            Facet::Actor => "actor",
            Facet::IdentityType => "userIdentity.type",
            Facet::Region => "awsRegion",
            Facet::Ip => "sourceIPAddress",
            Facet::Account => "recipientAccountId",
            Facet::IdentityAccount => "userIdentity.accountId",
            Facet::Error => "errorCode",
            Facet::Agent => "userAgent",
            Facet::ReadOnly => "readOnly",
            Facet::EventType => "eventType",
            Facet::Category => "eventCategory",
            Facet::AccessKey => "userIdentity.accessKeyId",
        }
    }

    /// The short name people see in lists and type in queries.
    pub fn label(self) -> &'static str {
        match self {
            Facet::Source => "service",
            Facet::Name => "event",
            Facet::Actor => "actor",
            Facet::IdentityType => "identity type",
            Facet::Region => "region",
            Facet::Ip => "source IP",
            Facet::Account => "account",
            Facet::IdentityAccount => "caller account",
            Facet::Error => "error",
            Facet::Agent => "user agent",
            Facet::ReadOnly => "read-only",
            Facet::EventType => "event type",
            Facet::Category => "category",
            Facet::AccessKey => "access key",
        }
    }

    /// The query field that selects this facet's values.
    pub fn query_field(self) -> &'static str {
        match self {
            Facet::Source => "source",
            Facet::Name => "name",
            Facet::Actor => "actor",
            Facet::IdentityType => "type",
            Facet::Region => "region",
            Facet::Ip => "ip",
            Facet::Account => "account",
            Facet::IdentityAccount => "userIdentity.accountId",
            Facet::Error => "error",
            Facet::Agent => "agent",
            Facet::ReadOnly => "readonly",
            Facet::EventType => "eventtype",
            Facet::Category => "category",
            Facet::AccessKey => "key",
        }
    }
}

/// `ec2` for `ec2.amazonaws.com`: the short service name shown in lists.
pub fn short_service(source: &str) -> &str {
    source.strip_suffix(".amazonaws.com").unwrap_or(source)
}
