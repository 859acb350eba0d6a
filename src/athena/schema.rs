//! The CloudTrail table as AWS documents it for Athena: one entry per
//! column, with the key CloudTrail writes, how Athena types it and what it
//! holds. The DDL, the SQL translation and the tests' DuckDB table are all
//! derived from [`COLUMNS`].

/// What a column (or a member of a struct) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (numbers and booleans arrive as their text).
    Text,
    /// A string holding the JSON of an object (`requestParameters`): paths
    /// into it are read with the JSON functions.
    Json,
    /// A struct of these members.
    Struct(&'static [Column]),
    /// An array of structs of these members.
    Structs(&'static [Column]),
    /// A map of strings to strings.
    Map,
}

/// A column, or a member of a struct column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The key as CloudTrail writes it; Athena's name is its lowercase.
    pub key: &'static str,
    pub kind: Kind,
}

const fn text(key: &'static str) -> Column {
    Column { key, kind: Kind::Text }
}

const fn json(key: &'static str) -> Column {
    Column { key, kind: Kind::Json }
}

const SESSION_ISSUER: &[Column] =
    &[text("type"), text("principalId"), text("arn"), text("accountId"), text("userName")];

const SESSION_CONTEXT: &[Column] = &[
    Column { key: "attributes", kind: Kind::Struct(&[text("mfaAuthenticated"), text("creationDate")]) },
    Column { key: "sessionIssuer", kind: Kind::Struct(SESSION_ISSUER) },
    text("ec2RoleDelivery"),
    Column {
        key: "webIdFederationData",
        kind: Kind::Struct(&[text("federatedProvider"), Column { key: "attributes", kind: Kind::Map }]),
    },
];

const USER_IDENTITY: &[Column] = &[
    text("type"),
    text("principalId"),
    text("arn"),
    text("accountId"),
    text("invokedBy"),
    text("accessKeyId"),
    text("userName"),
    Column { key: "onBehalfOf", kind: Kind::Struct(&[text("userId"), text("identityStoreArn")]) },
    Column { key: "sessionContext", kind: Kind::Struct(SESSION_CONTEXT) },
];

/// The columns, in the documented order.
pub const COLUMNS: &[Column] = &[
    text("eventVersion"),
    Column { key: "userIdentity", kind: Kind::Struct(USER_IDENTITY) },
    text("eventTime"),
    text("eventSource"),
    text("eventName"),
    text("awsRegion"),
    text("sourceIPAddress"),
    text("userAgent"),
    text("errorCode"),
    text("errorMessage"),
    json("requestParameters"),
    json("responseElements"),
    json("additionalEventData"),
    text("requestID"),
    text("eventID"),
    text("readOnly"),
    Column { key: "resources", kind: Kind::Structs(&[text("ARN"), text("accountId"), text("type")]) },
    text("eventType"),
    text("apiVersion"),
    text("recipientAccountId"),
    json("serviceEventDetails"),
    text("sharedEventID"),
    text("vpcEndpointId"),
    text("vpcEndpointAccountId"),
    text("eventCategory"),
    Column {
        key: "addendum",
        kind: Kind::Struct(&[
            text("reason"),
            text("updatedFields"),
            text("originalRequestID"),
            text("originalEventID"),
        ]),
    },
    text("sessionCredentialFromConsole"),
    // Not in AWS's published table, but in every event since 2020: without
    // it quoted text could not find what trailscope finds.
    text("managementEvent"),
    json("edgeDeviceDetails"),
    Column {
        key: "tlsDetails",
        kind: Kind::Struct(&[text("tlsVersion"), text("cipherSuite"), text("clientProvidedHostHeader")]),
    },
];

impl Column {
    /// Athena's (Hive's) name for it: the key in lowercase.
    pub fn name(&self) -> String {
        self.key.to_ascii_lowercase()
    }

    /// The member spelled exactly `key` (CloudTrail's keys are case-sensitive).
    pub fn member(&self, key: &str) -> Option<&'static Column> {
        match self.kind {
            Kind::Struct(m) | Kind::Structs(m) => m.iter().find(|c| c.key == key),
            _ => None,
        }
    }

    /// The Hive type as the DDL writes it.
    pub fn hive_type(&self) -> String {
        let members =
            |m: &[Column]| m.iter().map(|c| format!("{}: {}", c.key, c.hive_type())).collect::<Vec<_>>().join(", ");
        match self.kind {
            Kind::Text | Kind::Json => "STRING".into(),
            Kind::Map => "MAP<STRING, STRING>".into(),
            Kind::Struct(m) => format!("STRUCT<{}>", members(m)),
            Kind::Structs(m) => format!("ARRAY<STRUCT<{}>>", members(m)),
        }
    }
}

/// The top-level column spelled exactly `key`.
pub fn column(key: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.key == key)
}

/// Every column and member of a struct, with the SQL that reads it
/// (`useridentity.sessioncontext.sessionissuer.username`); members of arrays
/// of structs are left out (there is no single value to read).
pub fn each(mut f: impl FnMut(&'static Column, &str)) {
    fn walk(cols: &'static [Column], at: &str, f: &mut dyn FnMut(&'static Column, &str)) {
        for c in cols {
            let sql = if at.is_empty() { c.name() } else { format!("{at}.{}", c.name()) };
            f(c, &sql);
            if let Kind::Struct(m) = c.kind {
                walk(m, &sql, f);
            }
        }
    }
    walk(COLUMNS, "", &mut f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_types_are_written_as_hive_reads_them() {
        let mut names: Vec<String> = COLUMNS.iter().map(Column::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        assert_eq!(
            column("resources").unwrap().hive_type(),
            "ARRAY<STRUCT<ARN: STRING, accountId: STRING, type: STRING>>"
        );
        assert!(column("userIdentity").unwrap().hive_type().contains("sessionIssuer: STRUCT<type: STRING,"));
        assert_eq!(column("useridentity"), None, "keys are matched as CloudTrail spells them");
        let mut n = 0;
        each(|_, sql| n += usize::from(sql == "useridentity.sessioncontext.sessionissuer.username"));
        assert_eq!(n, 1);
    }
}
