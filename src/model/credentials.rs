//! The calls that hand out credentials, one table entry per call: what they
//! grant and whom the record names as receiving it. The loader reads the
//! key and the principal of these calls into their own columns
//! (`issuedKey`, `issuedTo`), and the credential graph links them; both
//! derive what they do from [`CALLS`].

use crate::json::canon::{self, scalar_text};
use std::borrow::Cow;

/// What a call grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// A temporary key (`ASIA…`) for a session.
    Session,
    /// A long-term access key (`AKIA…`) for an IAM user.
    AccessKey,
    /// A console password for an IAM user.
    Password,
}

/// Whom the record names as receiving the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// `responseElements.assumedRoleUser.arn`; else the session the request
    /// asked for (`roleArn`, `roleSessionName`).
    AssumedRole,
    /// `responseElements.federatedUser.arn`; else the request's `name`.
    Federated,
    /// The IAM user named by `userName` in the request or the response
    /// (`accessKey`, `loginProfile`), in the account that logged the call;
    /// without one, the caller itself.
    User,
    /// The caller itself.
    Caller,
    /// Not named in the record.
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub name: &'static str,
    pub grant: Grant,
    pub to: To,
}

const fn call(name: &'static str, grant: Grant, to: To) -> Call {
    Call { name, grant, to }
}

/// The table.
pub const CALLS: &[Call] = &[
    call("AssumeRole", Grant::Session, To::AssumedRole),
    call("AssumeRoleWithSAML", Grant::Session, To::AssumedRole),
    call("AssumeRoleWithWebIdentity", Grant::Session, To::AssumedRole),
    call("GetSessionToken", Grant::Session, To::Caller),
    call("GetFederationToken", Grant::Session, To::Federated),
    // Identity Center's portal: the response is not logged.
    call("GetRoleCredentials", Grant::Session, To::Unknown),
    call("CreateAccessKey", Grant::AccessKey, To::User),
    call("CreateLoginProfile", Grant::Password, To::User),
    call("UpdateLoginProfile", Grant::Password, To::User),
    call("ChangePassword", Grant::Password, To::Caller),
];

/// The entry for an event name.
pub fn call_named(name: &str) -> Option<&'static Call> {
    CALLS.iter().find(|c| c.name == name)
}

/// Where responses carry an access key they issue.
const ISSUED_AT: [&str; 3] = ["credentials", "accessKey", "roleCredentials"];

/// The access key a response issued, if any.
pub fn issued_key(resp: &[u8]) -> Option<Cow<'_, str>> {
    if resp.first() != Some(&b'{') {
        return None;
    }
    canon::members(resp)
        .filter(|(k, _)| ISSUED_AT.iter().any(|name| canon::key_is(k, name)))
        .find_map(|(_, inner)| canon::get(inner, "accessKeyId"))
        .and_then(scalar_text)
}

/// A string member at `path` of a canonical object (None unless an object).
fn text_at<'a>(obj: Option<&'a [u8]>, path: &[&str]) -> Option<Cow<'a, str>> {
    let mut v = obj.filter(|o| o.first() == Some(&b'{'))?;
    for k in path {
        v = canon::get(v, k)?;
    }
    match v.first() {
        Some(b'"') => scalar_text(v).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// The partition and account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
fn partition_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, partition, _, _, account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    Some((partition, account))
}

/// The principal `call` issued credentials to (or set a password for), as
/// an ARN; None when the record does not name it (or names the caller).
/// `account` is the account that logged the call, `caller` the caller's ARN
/// (for the partition of an ARN the record does not write out).
pub fn issued_to<'a>(
    call: &Call,
    req: Option<&'a [u8]>,
    resp: Option<&'a [u8]>,
    account: Option<&str>,
    caller: Option<&str>,
) -> Option<Cow<'a, str>> {
    let partition = caller.and_then(partition_account).map_or("aws", |(p, _)| p);
    match call.to {
        To::AssumedRole => text_at(resp, &["assumedRoleUser", "arn"]).or_else(|| {
            let role = text_at(req, &["roleArn"])?;
            let session = text_at(req, &["roleSessionName"])?;
            let (partition, account) = partition_account(&role)?;
            let (_, path) = role.split_once(":role/")?;
            let name = path.rsplit('/').next()?;
            Some(Cow::Owned(format!("arn:{partition}:sts::{account}:assumed-role/{name}/{session}")))
        }),
        To::Federated => text_at(resp, &["federatedUser", "arn"]).or_else(|| {
            let name = text_at(req, &["name"])?;
            Some(Cow::Owned(format!("arn:{partition}:sts::{}:federated-user/{name}", account?)))
        }),
        To::User => {
            let name = text_at(req, &["userName"])
                .or_else(|| text_at(resp, &["accessKey", "userName"]))
                .or_else(|| text_at(resp, &["loginProfile", "userName"]))?;
            Some(Cow::Owned(format!("arn:{partition}:iam::{}:user/{name}", account?)))
        }
        To::Caller | To::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(name: &str, req: &str, resp: &str) -> Option<String> {
        let c = call_named(name).unwrap();
        issued_to(c, Some(req.as_bytes()), Some(resp.as_bytes()), Some("222"), None).map(|s| s.into_owned())
    }

    #[test]
    fn names_whom_credentials_went_to() {
        let arn = "arn:aws:sts::111:assumed-role/Ops/alice";
        let resp = format!(r#"{{"assumedRoleUser":{{"arn":"{arn}"}},"credentials":{{"accessKeyId":"ASIAX"}}}}"#);
        assert_eq!(to("AssumeRole", "{}", &resp).as_deref(), Some(arn));
        // A response that hid everything: the session the request asked for (the role's path dropped).
        let req = r#"{"roleArn":"arn:aws-cn:iam::333:role/team/Ops","roleSessionName":"bob"}"#;
        assert_eq!(to("AssumeRole", req, "null").as_deref(), Some("arn:aws-cn:sts::333:assumed-role/Ops/bob"));
        assert_eq!(to("AssumeRole", r#"{"roleArn":"..."}"#, "null"), None);
        let fed = r#"{"federatedUser":{"arn":"arn:aws:sts::222:federated-user/carol"}}"#;
        assert_eq!(to("GetFederationToken", "{}", fed).as_deref(), Some("arn:aws:sts::222:federated-user/carol"));
        assert_eq!(
            to("GetFederationToken", r#"{"name":"dan"}"#, "null").as_deref(),
            Some("arn:aws:sts::222:federated-user/dan")
        );
        let key = r#"{"accessKey":{"userName":"dave","accessKeyId":"AKIAX"}}"#;
        assert_eq!(to("CreateAccessKey", "null", key).as_deref(), Some("arn:aws:iam::222:user/dave"));
        assert_eq!(
            to("CreateLoginProfile", r#"{"userName":"erin"}"#, "null").as_deref(),
            Some("arn:aws:iam::222:user/erin")
        );
        assert_eq!(to("CreateAccessKey", "{}", "null"), None, "no user named: the caller's own key");
        assert_eq!(to("GetSessionToken", "{}", r#"{"credentials":{"accessKeyId":"ASIAX"}}"#), None);
        assert_eq!(to("AssumeRole", "{}", r#"{"assumedRoleUser":{"arn":true}}"#), None);
        // The partition of the caller, where the record writes no ARN.
        let c = call_named("CreateLoginProfile").unwrap();
        let gov = issued_to(c, Some(br#"{"userName":"v"}"#), None, Some("1"), Some("arn:aws-us-gov:iam::1:user/a"));
        assert_eq!(gov.as_deref(), Some("arn:aws-us-gov:iam::1:user/v"));
    }

    #[test]
    fn finds_the_issued_key() {
        assert_eq!(issued_key(br#"{"credentials":{"accessKeyId":"ASIA1"}}"#).as_deref(), Some("ASIA1"));
        assert_eq!(issued_key(br#"{"roleCredentials":{"accessKeyId":"ASIA2"}}"#).as_deref(), Some("ASIA2"));
        assert_eq!(issued_key(br#"{"accessKey":{"accessKeyId":"AKIA3"}}"#).as_deref(), Some("AKIA3"));
        assert_eq!(issued_key(b"null"), None);
    }
}
