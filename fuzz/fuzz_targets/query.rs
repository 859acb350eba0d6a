//! Any text, as a query: it parses or fails with a position inside it, and a
//! parsed query runs on a small store without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{OnceLock, RwLock};
use trailscope::engine::Dataset;
use trailscope::query::{Cancel, parse, run};
use trailscope::store::Store;

fn store() -> &'static RwLock<Store> {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    &DATA.get_or_init(|| {
        let events = br#"{"Records":[
            {"eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","userName":"alice","accessKeyId":"AKIA1"},"requestParameters":{"bucketName":"logs-1","items":[{"id":1},{"id":"x\u001b"}]},"eventID":"1"},
            {"eventTime":"2024-03-02 11:00:00","eventSource":"iam.amazonaws.com","eventName":"CreateUser","errorCode":"AccessDenied","userIdentity":{"type":"Root","accountId":"123"},"requestParameters":null,"eventID":"2"},
            {"eventTime":"2024-03-03T12:00:00.5+02:00","eventType":"AwsCloudTrailInsight","insightDetails":{"eventName":"Decrypt","eventSource":"kms.amazonaws.com"},"eventID":"3"}
        ]}"#;
        Dataset::from_bytes(vec![("q.json".into(), events.to_vec())])
    })
    .store
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(q) => {
            let found = run(store(), &q, &Cancel::new()).expect("not cancelled");
            assert!(found.ids.len() <= 3);
        }
        Err(e) => {
            assert!(e.pos <= text.len());
            let _ = e.pointed(text);
        }
    }
});
