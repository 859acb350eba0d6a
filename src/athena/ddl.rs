//! `CREATE EXTERNAL TABLE` for a trail bucket: the documented CloudTrail
//! columns ([`super::schema`]) with partition projection by account, region
//! and delivery day, so that no partition has to be added by hand and a
//! query's predicates on them choose the folders Athena reads.

use super::schema::COLUMNS;

/// The partition columns, in the order of the key layout.
pub const ACCOUNT: &str = "accountid";
pub const REGION: &str = "region";
pub const DAY: &str = "timestamp";

/// The regions a trail may deliver from, used when none are named.
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// What the table is made for.
#[derive(Debug, Clone)]
pub struct Trail {
    pub bucket: String,
    /// The trail's key prefix, before `AWSLogs/`.
    pub prefix: String,
    /// The organization ID of an organization trail (`o-…`).
    pub org: Option<String>,
    pub accounts: Vec<String>,
    /// Empty: [`REGIONS`].
    pub regions: Vec<String>,
    pub table: String,
    /// The first day of the projection, `yyyy/MM/dd`.
    pub since: String,
}

/// Why a table cannot be written.
pub fn check(t: &Trail) -> Result<(), String> {
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !plain(&t.bucket) {
        return Err(format!("{:?} is not a bucket name", t.bucket));
    }
    if t.accounts.is_empty() {
        return Err("name the trail's accounts with --account (repeatable): partition projection lists them".into());
    }
    if let Some(a) = t.accounts.iter().find(|a| a.len() != 12 || !a.chars().all(|c| c.is_ascii_digit())) {
        return Err(format!("{a:?} is not an account ID (12 digits)"));
    }
    if let Some(r) = t.regions.iter().find(|r| !plain(r)) {
        return Err(format!("{r:?} is not a region"));
    }
    if let Some(o) = t.org.as_ref().filter(|o| !o.starts_with("o-") || !plain(o)) {
        return Err(format!("{o:?} is not an organization ID (o-…)"));
    }
    check_table(&t.table)?;
    if t.prefix.contains(['\'', '\\']) {
        return Err(format!("{:?}: quotes and backslashes are not allowed in a prefix", t.prefix));
    }
    Ok(())
}

/// Why `name` cannot be written as a table name in SQL.
pub fn check_table(name: &str) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{name:?} is not a table name (letters, digits and _)"));
    }
    Ok(())
}

/// The statement.
pub fn create_table(t: &Trail) -> Result<String, String> {
    check(t)?;
    let prefix = t.prefix.trim_matches('/');
    let root = match (prefix.is_empty(), &t.org) {
        (true, None) => format!("s3://{}/AWSLogs", t.bucket),
        (true, Some(o)) => format!("s3://{}/AWSLogs/{o}", t.bucket),
        (false, None) => format!("s3://{}/{prefix}/AWSLogs", t.bucket),
        (false, Some(o)) => format!("s3://{}/{prefix}/AWSLogs/{o}", t.bucket),
    };
    let regions: Vec<&str> =
        if t.regions.is_empty() { REGIONS.to_vec() } else { t.regions.iter().map(String::as_str).collect() };
    let mut out = format!("CREATE EXTERNAL TABLE {} (\n", t.table);
    let cols: Vec<String> = COLUMNS.iter().map(|c| format!("  `{}` {}", c.name(), c.hive_type())).collect();
    out += &cols.join(",\n");
    out += &format!(
        "\n)\nPARTITIONED BY (`{ACCOUNT}` STRING, `{REGION}` STRING, `{DAY}` STRING)\n\
         ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n\
         STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n\
         OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n\
         LOCATION '{root}/'\n\
         TBLPROPERTIES (\n\
         \x20 'projection.enabled'='true',\n\
         \x20 'projection.{ACCOUNT}.type'='enum',\n\
         \x20 'projection.{ACCOUNT}.values'='{accounts}',\n\
         \x20 'projection.{REGION}.type'='enum',\n\
         \x20 'projection.{REGION}.values'='{regions}',\n\
         \x20 'projection.{DAY}.type'='date',\n\
         \x20 'projection.{DAY}.format'='yyyy/MM/dd',\n\
         \x20 'projection.{DAY}.range'='{since},NOW',\n\
         \x20 'projection.{DAY}.interval'='1',\n\
         \x20 'projection.{DAY}.interval.unit'='DAYS',\n\
         \x20 'storage.location.template'='{root}/${{{ACCOUNT}}}/CloudTrail/${{{REGION}}}/${{{DAY}}}'\n\
         )\n",
        accounts = t.accounts.join(","),
        regions = regions.join(","),
        since = t.since,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail() -> Trail {
        Trail {
            bucket: "trail-bucket".into(),
            prefix: "".into(),
            org: Some("o-abc123".into()),
            accounts: vec!["111122223333".into(), "444455556666".into()],
            regions: vec![],
            table: "cloudtrail_logs".into(),
            since: "2024/01/01".into(),
        }
    }

    #[test]
    fn the_layout_of_an_organization_trail() {
        let ddl = create_table(&trail()).unwrap();
        assert!(ddl.contains("LOCATION 's3://trail-bucket/AWSLogs/o-abc123/'"), "{ddl}");
        assert!(ddl.contains(
            "'storage.location.template'='s3://trail-bucket/AWSLogs/o-abc123/${accountid}/CloudTrail/${region}/${timestamp}'"
        ));
        assert!(ddl.contains("'projection.accountid.values'='111122223333,444455556666'"));
        assert!(ddl.contains("'projection.timestamp.range'='2024/01/01,NOW'"));
        assert!(ddl.contains("us-east-1,us-east-2"));
        assert!(ddl.contains("`requestparameters` STRING,"));
        let mut t = trail();
        t.org = None;
        t.prefix = "/team/".into();
        t.regions = vec!["eu-west-1".into()];
        let ddl = create_table(&t).unwrap();
        assert!(
            ddl.contains("'s3://trail-bucket/team/AWSLogs/${accountid}/CloudTrail/${region}/${timestamp}'"),
            "{ddl}"
        );
        assert!(ddl.contains("'projection.region.values'='eu-west-1'"));
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        for (bad, says) in [
            (Trail { accounts: vec![], ..trail() }, "--account"),
            (Trail { accounts: vec!["12".into()], ..trail() }, "12 digits"),
            (Trail { bucket: "a'b".into(), ..trail() }, "bucket"),
            (Trail { org: Some("abc".into()), ..trail() }, "organization"),
            (Trail { table: "t; DROP".into(), ..trail() }, "table"),
            (Trail { prefix: "x'".into(), ..trail() }, "prefix"),
            (Trail { regions: vec!["us east".into()], ..trail() }, "region"),
        ] {
            let err = create_table(&bad).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }
}
