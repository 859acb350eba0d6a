//! The readable "actor" of an event, derived from userIdentity (DESIGN.md rules).

use crate::json::canon::{self, scalar_text};
use std::borrow::Cow;

/// The prefix of a root actor qualified by its account (`root@123456789012`).
/// The store shows plain `root` while only one account is loaded.
pub const ROOT_PREFIX: &str = "root@";

/// The userIdentity fields the rules look at, picked in one walk of the object.
#[derive(Default)]
struct Identity<'a> {
    kind: Option<Cow<'a, str>>,
    user_name: Option<Cow<'a, str>>,
    arn: Option<Cow<'a, str>>,
    principal_id: Option<Cow<'a, str>>,
    account_id: Option<Cow<'a, str>>,
    invoked_by: Option<Cow<'a, str>>,
    issuer_name: Option<Cow<'a, str>>,
    on_behalf_user: Option<Cow<'a, str>>,
}

fn text(v: &[u8]) -> Option<Cow<'_, str>> {
    // Objects and arrays are not names; empty strings name nobody.
    match v.first() {
        Some(b'{' | b'[') | None => None,
        _ => scalar_text(v).filter(|s| !s.is_empty()),
    }
}

fn read_identity(uid: &[u8]) -> Identity<'_> {
    let mut id = Identity::default();
    for (k, v) in canon::members(uid) {
        match &k[1..k.len() - 1] {
            b"type" => id.kind = text(v),
            b"userName" => id.user_name = text(v),
            b"arn" => id.arn = text(v),
            b"principalId" => id.principal_id = text(v),
            b"accountId" => id.account_id = text(v),
            b"invokedBy" => id.invoked_by = text(v),
            b"sessionContext" => {
                id.issuer_name = canon::get(v, "sessionIssuer").and_then(|i| canon::get(i, "userName")).and_then(text);
            }
            b"onBehalfOf" => id.on_behalf_user = canon::get(v, "userId").and_then(text),
            _ => {}
        }
    }
    id
}

fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The actor of an event whose userIdentity is `uid` (canonical JSON) and
/// additionalEventData is `extra`. None when there is no identity at all.
pub fn actor<'a>(uid: &'a [u8], extra: Option<&'a [u8]>) -> Option<Cow<'a, str>> {
    let id = read_identity(uid);
    let generic = |id: Identity<'a>| id.user_name.or(id.arn).or(id.principal_id).or(id.kind);
    match id.kind.as_deref() {
        Some("IAMUser" | "SAMLUser" | "WebIdentityUser") if id.user_name.is_some() => id.user_name,
        Some("AssumedRole" | "Role") => {
            let session = id.arn.as_deref().map(last_segment);
            match (&id.issuer_name, session) {
                (Some(role), Some(s)) => Some(Cow::Owned(format!("{role}/{s}"))),
                // Without the issuer, the arn `assumed-role/ROLE/SESSION` still names both.
                (None, Some(_)) => {
                    let arn = id.arn.as_deref().unwrap_or_default();
                    let tail = arn.split_once(":assumed-role/").map(|(_, t)| t.to_string());
                    tail.map(Cow::Owned).or_else(|| generic(id))
                }
                _ => generic(id),
            }
        }
        Some("Root") => Some(match &id.account_id {
            Some(acct) => Cow::Owned(format!("{ROOT_PREFIX}{acct}")),
            None => Cow::Borrowed("root"),
        }),
        Some("AWSService") if id.invoked_by.is_some() => id.invoked_by,
        Some("FederatedUser") => {
            let name = id.arn.as_deref().and_then(|a| a.split_once("federated-user/")).map(|(_, n)| n.to_string());
            name.map(Cow::Owned).or_else(|| generic(id))
        }
        Some("IdentityCenterUser") => {
            let from_extra = extra.and_then(|e| canon::get(e, "UserName")).and_then(text);
            let on_behalf = id.on_behalf_user.clone();
            from_extra.or(on_behalf).or_else(|| generic(id))
        }
        Some("AWSAccount") if id.account_id.is_some() => {
            let acct = id.account_id.unwrap_or_default();
            match id.principal_id.as_deref().and_then(|p| p.split_once(':')) {
                Some((_, rest)) if !rest.is_empty() => Some(Cow::Owned(format!("{acct}/{rest}"))),
                _ => Some(acct),
            }
        }
        _ => generic(id),
    }
}

/// Whether an actor is a name the log or an export hid (CloudTrail's
/// `HIDDEN_DUE_TO_SECURITY_REASONS` for a mistyped user name, `...` and the
/// like where samples redact): such a name is no identity, and events under
/// it are strangers to each other.
pub fn is_hidden(actor: &str) -> bool {
    let a = actor.trim();
    a == "HIDDEN_DUE_TO_SECURITY_REASONS" || (!a.is_empty() && a.chars().all(|c| matches!(c, '.' | '…' | '*')))
}

/// The actor an ARN names, as the rules above name its events:
/// `ROLE/SESSION` for an assumed role, a user's or federated user's name,
/// `root@ACCOUNT`. For a session known only by the call that issued it.
pub fn actor_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4)?;
    let resource = parts.next()?;
    if resource == "root" {
        return Some(format!("{ROOT_PREFIX}{account}"));
    }
    let (kind, rest) = resource.split_once('/')?;
    match kind {
        "assumed-role" => Some(rest.to_string()),
        "user" | "federated-user" => rest.rsplit('/').next().map(str::to_string),
        _ => None,
    }
}

/// The account an ARN names.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(uid: &str) -> Option<String> {
        actor(uid.as_bytes(), None).map(|c| c.into_owned())
    }

    #[test]
    fn rules_by_type() {
        assert_eq!(
            a(r#"{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/alice"}"#).as_deref(),
            Some("alice")
        );
        assert_eq!(
            a(r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/alice","sessionContext":{"sessionIssuer":{"userName":"Admin"}}}"#).as_deref(),
            Some("Admin/alice")
        );
        assert_eq!(
            a(r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob"}"#).as_deref(),
            Some("Admin/bob")
        );
        assert_eq!(a(r#"{"type":"Root","accountId":"123456789012"}"#).as_deref(), Some("root@123456789012"));
        assert_eq!(a(r#"{"type":"Root"}"#).as_deref(), Some("root"));
        assert_eq!(a(r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#).as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(
            a(r#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/carol"}"#).as_deref(),
            Some("carol")
        );
        assert_eq!(a(r#"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}"#).as_deref(), Some("u-1"));
        let extra = br#"{"UserName":"dave"}"#;
        assert_eq!(
            actor(br#"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}"#, Some(extra)).as_deref(),
            Some("dave")
        );
        assert_eq!(
            a(r#"{"type":"AWSAccount","accountId":"111","principalId":"AIDA:sess"}"#).as_deref(),
            Some("111/sess")
        );
        assert_eq!(a(r#"{"type":"AWSAccount","accountId":"111","principalId":"AIDAX"}"#).as_deref(), Some("111"));
        assert_eq!(a(r#"{"type":"SAMLUser","userName":"erin"}"#).as_deref(), Some("erin"));
        assert_eq!(a(r#"{"type":"WebIdentityUser","userName":"frank"}"#).as_deref(), Some("frank"));
    }

    #[test]
    fn actors_of_arns() {
        assert_eq!(actor_of_arn("arn:aws:sts::1:assumed-role/Admin/alice").as_deref(), Some("Admin/alice"));
        assert_eq!(actor_of_arn("arn:aws:iam::1:user/dev/bob").as_deref(), Some("bob"));
        assert_eq!(actor_of_arn("arn:aws:sts::1:federated-user/carol").as_deref(), Some("carol"));
        assert_eq!(actor_of_arn("arn:aws:iam::123:root").as_deref(), Some("root@123"));
        assert_eq!(actor_of_arn("..."), None);
        for hidden in ["HIDDEN_DUE_TO_SECURITY_REASONS", "...", "…", "***"] {
            assert!(is_hidden(hidden), "{hidden}");
        }
        for name in ["alice", "x", "Admin/...", ""] {
            assert!(!is_hidden(name), "{name}");
        }
        assert_eq!(account_of_arn("arn:aws:sts::123:assumed-role/A/b"), Some("123"));
        assert_eq!(account_of_arn("x"), None);
    }

    #[test]
    fn fallbacks_for_odd_identities() {
        assert_eq!(a(r#"{"type":"Unknown","principalId":"p-1"}"#).as_deref(), Some("p-1"));
        assert_eq!(a(r#"{"type":"Unknown","arn":"arn:x","principalId":"p-1"}"#).as_deref(), Some("arn:x"));
        assert_eq!(a(r#"{"type":"Directory"}"#).as_deref(), Some("Directory"));
        assert_eq!(
            a(r#"{"userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#).as_deref(),
            Some("HIDDEN_DUE_TO_SECURITY_REASONS")
        );
        assert_eq!(a(r#"{"type":"IAMUser","userName":true}"#).as_deref(), Some("true"));
        assert_eq!(a(r#"{}"#), None);
        assert_eq!(a("null"), None);
        assert_eq!(a(r#""str""#), None);
    }
}
