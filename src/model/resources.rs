//! What a call acts on: one table entry per parameter that names a
//! resource, for the calls of one service (or of every service). Incidents
//! read it to say what an intruder touched; nothing else decides which
//! parameter names what.

use serde_json::Value;

/// One way a record names a resource.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// The service (eventSource before `.amazonaws.com`); `*` any.
    pub service: &'static str,
    /// A dotted path in the record; arrays on the way are walked.
    pub path: &'static str,
    /// The kind of resource, as shown.
    pub kind: &'static str,
    /// The calls it applies to (`Create*` prefixes allowed); empty: every call of the service.
    pub calls: &'static [&'static str],
}

const fn n(service: &'static str, path: &'static str, kind: &'static str, calls: &'static [&'static str]) -> Names {
    Names { service, path, kind, calls }
}

/// Which parameters name which resources.
pub const TABLE: &[Names] = &[
    n("s3", "requestParameters.bucketName", "s3 bucket", &[]),
    n("iam", "requestParameters.userName", "iam user", &[]),
    n("iam", "responseElements.user.userName", "iam user", &[]),
    n("iam", "requestParameters.roleName", "iam role", &[]),
    n("iam", "requestParameters.groupName", "iam group", &[]),
    n("iam", "requestParameters.policyArn", "iam policy", &[]),
    n("iam", "requestParameters.policyName", "inline policy", &[]),
    n("iam", "responseElements.accessKey.accessKeyId", "access key", &[]),
    n("iam", "requestParameters.accessKeyId", "access key", &[]),
    n("iam", "requestParameters.instanceProfileName", "instance profile", &[]),
    n("iam", "requestParameters.serialNumber", "mfa device", &[]),
    n("iam", "requestParameters.samlProviderArn", "identity provider", &[]),
    n("iam", "requestParameters.openIDConnectProviderArn", "identity provider", &[]),
    n("sts", "requestParameters.roleArn", "iam role", &["AssumeRole*"]),
    n("sts", "requestParameters.name", "federated user", &["GetFederationToken"]),
    n("ec2", "requestParameters.instanceId", "ec2 instance", &[]),
    n("ec2", "requestParameters.instancesSet.items.instanceId", "ec2 instance", &[]),
    n("ec2", "responseElements.instancesSet.items.instanceId", "ec2 instance", &["RunInstances"]),
    n("ec2", "requestParameters.groupId", "security group", &[]),
    n("ec2", "responseElements.groupId", "security group", &["CreateSecurityGroup"]),
    n("ec2", "requestParameters.snapshotId", "ebs snapshot", &[]),
    n("ec2", "responseElements.snapshotId", "ebs snapshot", &["CreateSnapshot", "CopySnapshot"]),
    n("ec2", "requestParameters.volumeId", "ebs volume", &[]),
    n("ec2", "requestParameters.imageId", "ami", &[]),
    n("ec2", "responseElements.imageId", "ami", &["CreateImage", "CopyImage"]),
    n("ec2", "requestParameters.keyName", "key pair", &[]),
    n("ec2", "requestParameters.flowLogIds.item", "flow log", &[]),
    n("ec2", "requestParameters.DeleteFlowLogsRequest.FlowLogId.content", "flow log", &["DeleteFlowLogs"]),
    n("ec2", "requestParameters.instancesSet.items.imageId", "ami", &["RunInstances"]),
    n("ec2-instance-connect", "requestParameters.instanceId", "ec2 instance", &[]),
    n("route53resolver", "requestParameters.resolverQueryLogConfigId", "resolver query log config", &[]),
    n("rolesanywhere", "requestParameters.name", "roles anywhere trust anchor", &["CreateTrustAnchor"]),
    n("rolesanywhere", "requestParameters.name", "roles anywhere profile", &["CreateProfile"]),
    n("rolesanywhere", "requestParameters.roleArns", "iam role", &["CreateProfile"]),
    n("secretsmanager", "requestParameters.secretIdList", "secret", &["BatchGetSecretValue"]),
    n("secretsmanager", "requestParameters.filters.values", "secret filter", &["BatchGetSecretValue"]),
    n("rds", "requestParameters.dBInstanceIdentifier", "rds instance", &[]),
    n("rds", "requestParameters.dBClusterIdentifier", "rds cluster", &[]),
    n("rds", "requestParameters.dBSnapshotIdentifier", "rds snapshot", &[]),
    n("rds", "requestParameters.dBClusterSnapshotIdentifier", "rds snapshot", &[]),
    n("secretsmanager", "requestParameters.secretId", "secret", &[]),
    n("secretsmanager", "requestParameters.name", "secret", &["CreateSecret"]),
    n("ssm", "requestParameters.name", "ssm parameter", &["PutParameter", "GetParameter", "DeleteParameter"]),
    n("ssm", "requestParameters.names", "ssm parameter", &["GetParameters", "DeleteParameters"]),
    n("ssm", "requestParameters.documentName", "ssm document", &["SendCommand", "StartSession"]),
    n("ssm", "requestParameters.instanceIds", "ec2 instance", &["SendCommand"]),
    n("ssm", "requestParameters.target", "ec2 instance", &["StartSession"]),
    n("cloudtrail", "requestParameters.name", "trail", &[]),
    n("cloudtrail", "requestParameters.trailName", "trail", &[]),
    n("guardduty", "requestParameters.detectorId", "guardduty detector", &[]),
    n("lambda", "requestParameters.functionName", "lambda function", &[]),
    n("kms", "requestParameters.keyId", "kms key", &[]),
    n("logs", "requestParameters.logGroupName", "log group", &[]),
    n("config", "requestParameters.configurationRecorderName", "config recorder", &[]),
    n("monitoring", "requestParameters.alarmNames", "alarm", &[]),
    n("ses", "requestParameters.identity", "ses identity", &[]),
    n("organizations", "requestParameters.accountId", "account", &[]),
    n("organizations", "requestParameters.policyId", "organizations policy", &[]),
    n("sso", "requestParameters.permissionSetArn", "permission set", &[]),
    n("apigateway", "requestParameters.restApiId", "api gateway", &[]),
    n("dynamodb", "requestParameters.tableName", "dynamodb table", &[]),
    n("ecr", "requestParameters.repositoryName", "ecr repository", &[]),
    n("eks", "requestParameters.name", "eks cluster", &[]),
    n("bedrock", "requestParameters.modelId", "bedrock model", &[]),
];

/// Reads that take what they read (secrets, passwords, decrypted
/// parameters): what they name is touched as much as what writes name.
pub const TAKING_READS: [&str; 5] =
    ["GetSecretValue", "BatchGetSecretValue", "GetParameter", "GetParameters", "GetPasswordData"];

/// Whether what a call names counts as touched: every write, and the reads that take.
pub fn touches(call: &str, read_only: bool) -> bool {
    !read_only || TAKING_READS.contains(&call)
}

/// Whether `call` is one of `calls` (a trailing `*` is a prefix).
fn applies(calls: &[&str], call: &str) -> bool {
    calls.is_empty()
        || calls.iter().any(|c| match c.strip_suffix('*') {
            Some(prefix) => call.starts_with(prefix),
            None => *c == call,
        })
}

/// The text values at `path` in `v`, walking arrays.
fn values_at<'v>(v: &'v Value, path: &[&str], out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| values_at(i, path, out)),
        _ if path.is_empty() => out.push(v),
        Value::Object(m) => {
            if let Some(next) = m.get(path[0]) {
                values_at(next, &path[1..], out);
            }
        }
        _ => {}
    }
}

/// The resources a record names: (kind, name), each once, in table order,
/// then those of its `resources` list (by their type, named by their ARN).
pub fn named(record: &Value) -> Vec<(&'static str, String)> {
    let source = record.get("eventSource").and_then(Value::as_str).unwrap_or("");
    let service = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    let call = record.get("eventName").and_then(Value::as_str).unwrap_or("");
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let push = |out: &mut Vec<(&'static str, String)>, kind: &'static str, name: &str| {
        let name = name.trim();
        if !name.is_empty() && !out.iter().any(|(k, v)| *k == kind && v == name) {
            out.push((kind, name.to_string()));
        }
    };
    for e in TABLE.iter().filter(|e| (e.service == "*" || e.service == service) && applies(e.calls, call)) {
        let path: Vec<&str> = e.path.split('.').collect();
        let mut found = Vec::new();
        values_at(record, &path, &mut found);
        for v in found {
            match v {
                Value::String(s) => push(&mut out, e.kind, s),
                Value::Number(n) => push(&mut out, e.kind, &n.to_string()),
                _ => {}
            }
        }
    }
    if let Some(Value::Array(listed)) = record.get("resources") {
        for r in listed {
            let (Some(arn), Some(kind)) = (r.get("ARN").and_then(Value::as_str), r.get("type").and_then(Value::as_str))
            else {
                continue;
            };
            // The record's own list, by type: `AWS::S3::Bucket` is an s3 bucket.
            let kind = TYPES.iter().find(|(t, _)| *t == kind).map_or("resource", |(_, k)| k);
            // Named already by a parameter (the bucket `logs` is `arn:aws:s3:::logs`).
            let known = out.iter().any(|(k, v)| {
                *k == kind && (v == arn || arn.ends_with(&format!(":{v}")) || arn.ends_with(&format!("/{v}")))
            });
            if !known {
                push(&mut out, kind, arn);
            }
        }
    }
    out
}

/// CloudTrail's resource types in the `resources` list, as the table names them.
const TYPES: &[(&str, &str)] = &[
    ("AWS::S3::Bucket", "s3 bucket"),
    ("AWS::S3::Object", "s3 object"),
    ("AWS::IAM::User", "iam user"),
    ("AWS::IAM::Role", "iam role"),
    ("AWS::IAM::AccessKey", "access key"),
    ("AWS::KMS::Key", "kms key"),
    ("AWS::Lambda::Function", "lambda function"),
    ("AWS::DynamoDB::Table", "dynamodb table"),
    ("AWS::EC2::Instance", "ec2 instance"),
    ("AWS::SecretsManager::Secret", "secret"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every entry of the table, on a record of one of its calls shaped as
    /// CloudTrail writes it (arrays where the path walks them), names its resource.
    #[test]
    fn every_entry_names_its_resource_on_a_record_of_its_call() {
        for e in TABLE {
            let call = e.calls.first().map_or("AnyCall", |c| c.trim_end_matches('*'));
            let steps: Vec<&str> = e.path.split('.').collect();
            // Built from the leaf up; the list-valued parameters hold lists.
            let lists = [
                "items",
                "names",
                "instanceIds",
                "alarmNames",
                "roleArns",
                "secretIdList",
                "item",
                "values",
                "filters",
            ];
            let mut v = if lists.contains(steps.last().unwrap()) { json!(["the-name"]) } else { json!("the-name") };
            for (i, step) in steps.iter().enumerate().rev() {
                let mut m = serde_json::Map::new();
                m.insert(step.to_string(), v);
                v = Value::Object(m);
                if i > 0 && ["items", "filters"].contains(&steps[i - 1]) {
                    v = json!([v]);
                }
            }
            v["eventSource"] = json!(format!("{}.amazonaws.com", e.service));
            v["eventName"] = json!(call);
            let found = named(&v);
            assert!(
                found.iter().any(|(k, n)| *k == e.kind && n == "the-name"),
                "{} {call}: {found:?} from {v}",
                e.path
            );
        }
    }

    #[test]
    fn parameters_and_the_resources_list_name_what_a_call_touched() {
        let r = json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
            "requestParameters": {"userName": "backup"}, "responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLE0001", "userName": "backup"}}});
        assert_eq!(named(&r), [("iam user", "backup".to_string()), ("access key", "AKIAEXAMPLE0001".to_string())]);
        let r = json!({"eventSource": "ec2.amazonaws.com", "eventName": "TerminateInstances",
            "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-1"}, {"instanceId": "i-2"}]}}});
        assert_eq!(named(&r), [("ec2 instance", "i-1".to_string()), ("ec2 instance", "i-2".to_string())]);
        let r = json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "requestParameters": {"bucketName": "logs"},
            "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::logs"}, {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::logs/a"}]});
        assert_eq!(named(&r), [("s3 bucket", "logs".to_string()), ("s3 object", "arn:aws:s3:::logs/a".to_string())]);
        // A parameter read only for the calls it names a resource in.
        let r = json!({"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "requestParameters": {"name": "x"}});
        assert!(named(&r).is_empty());
        let r = json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "requestParameters": {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}});
        assert_eq!(named(&r), [("trail", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main".to_string())]);
    }
}
