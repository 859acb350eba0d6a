//! A trail bucket read in place: `s3://BUCKET[/PREFIX]`.
//!
//! Listing walks the key layout with delimiter listings where the values
//! are unknown (organisations, accounts, regions), skipping what the cut
//! leaves out, then scans each region's folder in key order from the first
//! key the cut needs to the last (keys sort by delivery time). Objects are
//! fetched by the loader's threads, many at once, under a budget of bytes in
//! flight; the client retries throttling and server errors with exponential
//! backoff and jitter (the standard retry mode: the adaptive one, which also
//! slows its own sending, took 55 s instead of 8 in the throttling test).
//! Credentials, region and endpoint come from the standard AWS chain
//! (`aws-config`).

use super::cache::{self, Sidecar};
use super::decode::Opened;
use super::item::{Fetched, Item, Listing, Locator, Origin, Source, Transfer};
use super::layout::{self, Cut, Family};
use super::options::Options;
use super::problem::{Kind, Problem};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where a bucket source reads: a bucket and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
}

impl Location {
    /// `s3://BUCKET[/PREFIX]`: None when the text is not an S3 URL at all, an
    /// error when it is one that cannot be read.
    pub fn parse_url(s: &str) -> Option<Result<Location, String>> {
        let rest = s.strip_prefix("s3://").or_else(|| s.strip_prefix("S3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid {
            return Some(Err(format!(
                "not a bucket name: {bucket:?} (3 to 63 lowercase letters, digits, dots and hyphens)"
            )));
        }
        let prefix = prefix.trim_start_matches('/');
        let prefix = if prefix.is_empty() || prefix.ends_with('/') { prefix.to_string() } else { format!("{prefix}/") };
        Some(Ok(Location { bucket: bucket.into(), prefix }))
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Objects fetched at once; the budget below bounds their memory.
const FETCHES: usize = 16;
/// Bytes of objects in flight at once. An object larger than this is read
/// alone.
const BUDGET: u64 = 512 << 20;
/// Listings at once.
const LISTINGS: usize = 8;
/// The largest object read (compressed; CloudTrail delivers a few MB).
const MAX_OBJECT: u64 = 4 << 30;

pub struct Bucket {
    at: Location,
    cut: Cut,
    cache: Option<PathBuf>,
    profile: Option<String>,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    client: OnceLock<Result<Client, String>>,
    /// ETags seen in listings, so the cache can tell a changed object.
    etags: Mutex<HashMap<String, String>>,
    budget: Budget,
    pub counters: Arc<Transfer>,
    /// Set: these objects, and from each only these events, without listing
    /// (the matches of an Athena query).
    objects: Option<BTreeMap<String, Arc<BTreeSet<String>>>>,
}

impl Bucket {
    pub fn new(at: Location, opts: &Options) -> Bucket {
        Bucket {
            at,
            cut: opts.cut.clone(),
            cache: opts.cache.clone(),
            profile: opts.profile.clone(),
            runtime: OnceLock::new(),
            client: OnceLock::new(),
            etags: Mutex::default(),
            budget: Budget::new(BUDGET),
            counters: Arc::default(),
            objects: None,
        }
    }

    /// The objects `keep` names (key to the eventIDs to read from it), listed
    /// as they are, without a request.
    pub fn objects(bucket: String, keep: BTreeMap<String, Arc<BTreeSet<String>>>, opts: &Options) -> Bucket {
        let mut b = Bucket::new(Location { bucket, prefix: String::new() }, opts);
        b.objects = Some(keep);
        b
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, String> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("trailscope-s3")
                    .enable_all()
                    .build()
                    .map_err(|e| format!("could not start the S3 client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn client(&self) -> Result<&Client, String> {
        let rt = self.runtime()?;
        self.client
            .get_or_init(|| rt.block_on(connect(&self.at.bucket, self.profile.as_deref())))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn name(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.at.bucket)
    }

    fn problem(&self, key: &str, why: String) -> Problem {
        Problem::item(self.name(key), Kind::Unreadable, why)
    }

    /// An object's bytes and metadata: from the cache when it holds the same
    /// object, else fetched (and kept in the cache).
    fn get(&self, item: &Item) -> io::Result<Fetched> {
        let Locator::Key(key) = &item.locator else { return Err(io::Error::other("not an object of this bucket")) };
        let origin = Origin { bucket: self.at.bucket.clone(), key: key.clone() };
        let etag = self.etags.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned();
        if let Some(dir) = &self.cache
            && let Some((path, side)) = cache::lookup(dir, &origin, item.size, etag.as_deref())
        {
            self.counters.from_cache.fetch_add(1, Relaxed);
            return Ok(Fetched { bytes: std::fs::read(path)?, metadata: Some(side.metadata) });
        }
        let size = item.size.unwrap_or(0);
        if size > MAX_OBJECT {
            return Err(io::Error::other(format!("object of {size} bytes is larger than trailscope reads")));
        }
        let rt = self.runtime().map_err(io::Error::other)?;
        let client = self.client().map_err(io::Error::other)?;
        let _held = self.budget.take(size);
        self.counters.started.get_or_init(Instant::now);
        let got = rt.block_on(async {
            let out = client.get_object().bucket(&self.at.bucket).key(key).send().await.map_err(|e| plain(&e))?;
            let metadata: BTreeMap<String, String> = out
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
                .unwrap_or_default();
            let etag = out.e_tag().map(str::to_string);
            let body = out.body.collect().await.map_err(|e| format!("the download broke off: {e}"))?;
            Ok::<_, String>((body.into_bytes().to_vec(), metadata, etag))
        });
        let (bytes, metadata, etag) = got
            .inspect_err(|_| {
                self.counters.failed.fetch_add(1, Relaxed);
            })
            .map_err(io::Error::other)?;
        self.counters.objects.fetch_add(1, Relaxed);
        self.counters.bytes.fetch_add(bytes.len() as u64, Relaxed);
        if let Some(dir) = &self.cache {
            let side = Sidecar { origin, size: bytes.len() as u64, etag, metadata: metadata.clone() };
            // A cache that cannot be written costs a fetch next time, nothing more.
            let _ = cache::store(dir, &side, &bytes);
        }
        Ok(Fetched { bytes, metadata: Some(metadata) })
    }
}

impl Source for Bucket {
    fn list(&self, found: &mut dyn FnMut(Item)) -> Listing {
        let mut listing = Listing::default();
        // Named objects need no request to list (nor a client: a cache may hold them all).
        if let Some(objects) = &self.objects {
            for (key, events) in objects {
                let mut item = Item::new(self.name(key), None, Locator::Key(key.clone()));
                item.origin = Some(Origin { bucket: self.at.bucket.clone(), key: key.clone() });
                item.keep = Some(Arc::clone(events));
                found(item);
            }
            return listing;
        }
        let (rt, client) = match self.runtime().and_then(|rt| Ok((rt, self.client()?))) {
            Ok(both) => both,
            Err(why) => {
                listing.problems.push(Problem::item(self.at.url(), Kind::Unreadable, why));
                return listing;
            }
        };
        self.counters.started.get_or_init(Instant::now);
        rt.block_on(walk(self, client, found, &mut listing));
        listing
    }

    fn open(&self, item: &Item) -> io::Result<Opened> {
        let fetched = self.get(item)?;
        Ok(super::decode::decode(fetched.bytes))
    }

    fn fetch(&self, item: &Item) -> io::Result<Fetched> {
        self.get(item)
    }

    fn concurrency(&self) -> usize {
        FETCHES
    }

    fn transfer(&self) -> Option<Arc<Transfer>> {
        Some(Arc::clone(&self.counters))
    }
}

/// The AWS settings of the standard chain (environment, profiles, SSO,
/// assume-role, `credential_process`, web identity, container, instance),
/// with `profile` if given, our HTTPS client, retries and timeouts.
pub async fn aws_config(profile: Option<&str>) -> aws_config::SdkConfig {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(6).with_initial_backoff(Duration::from_millis(200)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(300))
                .build(),
        );
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}

/// The client for a bucket: the standard chain's credentials and settings,
/// in the bucket's own region, path-style when an endpoint is set (local
/// S3-compatible stores).
async fn connect(bucket: &str, profile: Option<&str>) -> Result<Client, String> {
    let sdk = aws_config(profile).await;
    let endpoint = sdk.endpoint_url().is_some()
        || ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    let build = |region: Option<String>| {
        let mut b = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(endpoint);
        if let Some(r) = region {
            b = b.region(aws_sdk_s3::config::Region::new(r));
        } else if sdk.region().is_none() {
            b = b.region(aws_sdk_s3::config::Region::from_static("us-east-1"));
        }
        Client::from_conf(b.build())
    };
    let client = build(None);
    // The bucket's region, from the answer to HEAD (also given with a redirect).
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => {
            let here = out.bucket_region().map(str::to_string);
            Ok(if here.is_some() && here.as_deref() != sdk.region().map(|r| r.as_ref()) { build(here) } else { client })
        }
        Err(e) => {
            let region = e.raw_response().and_then(|r| r.headers().get("x-amz-bucket-region")).map(str::to_string);
            match region {
                Some(r) if e.raw_response().is_some_and(|r| r.status().as_u16() == 301) => Ok(build(Some(r))),
                _ => Err(plain(&e)),
            }
        }
    }
}

/// An S3 error in plain words, without anything from the request (no
/// credential, no signature).
fn plain<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E, HttpResponse>) -> String {
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            match err.code() {
                Some("AccessDenied") | Some("AllAccessDisabled") => "access denied".into(),
                // HEAD answers have no body: a missing bucket is a bare 404.
                Some("NoSuchBucket") | Some("NotFound") => "no such bucket".into(),
                Some("NoSuchKey") => "no such object (removed while reading?)".into(),
                Some("ExpiredToken") | Some("TokenRefreshRequired") => {
                    "the AWS credentials have expired: renew them (aws sso login, or new keys)".into()
                }
                Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") => {
                    "the AWS credentials were refused (unknown key or wrong secret)".into()
                }
                Some("SlowDown") | Some("Throttling") | Some("ThrottlingException") => {
                    "still throttled after retrying: try again later".into()
                }
                Some(code) => format!("S3 said {code}{}", err.message().map(|m| format!(": {m}")).unwrap_or_default()),
                None => format!("S3 answered an error ({})", http_status(e)),
            }
        }
        SdkError::TimeoutError(_) => "S3 did not answer in time".into(),
        SdkError::DispatchFailure(d) => {
            if d.is_io() || d.is_timeout() {
                "could not reach S3 (network)".into()
            } else {
                // Mostly credentials that could not be found or refreshed.
                format!("could not send the request: {}", chain(e))
            }
        }
        SdkError::ResponseError(_) => format!("S3 answered something unreadable ({})", http_status(e)),
        _ => format!("the request could not be made: {}", chain(e)),
    }
}

fn http_status<E>(e: &SdkError<E, HttpResponse>) -> String {
    e.raw_response().map_or("no answer".into(), |r| format!("HTTP {}", r.status().as_u16()))
}

/// An error with its causes, one line (credentials errors say which
/// provider failed and why; they never hold a secret).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut at = e.source();
    while let Some(s) = at {
        let t = s.to_string();
        if !parts.contains(&t) {
            parts.push(t);
        }
        at = s.source();
    }
    let s = parts.join(": ");
    s.chars().filter(|c| !c.is_control()).take(400).collect()
}

/// What one listing call found.
struct Page {
    prefix: String,
    folders: Vec<String>,
    objects: Vec<(String, u64, Option<String>)>,
    problem: Option<String>,
}

/// Lists `prefix` (one level with a delimiter, or everything below from
/// `start_after` up to the cut's end).
async fn list_prefix(client: Client, bucket: String, prefix: String, scan: Option<(Option<String>, Cut)>) -> Page {
    let mut page = Page { prefix: prefix.clone(), folders: vec![], objects: vec![], problem: None };
    let mut token = None;
    loop {
        let mut req = client.list_objects_v2().bucket(&bucket).prefix(&prefix);
        match &scan {
            None => req = req.delimiter("/"),
            Some((start, _)) => req = req.set_start_after(start.clone()),
        }
        if let Some(t) = token.take() {
            req = req.continuation_token(t);
        }
        let out = match req.send().await {
            Ok(o) => o,
            Err(e) => {
                page.problem = Some(plain(&e));
                return page;
            }
        };
        page.folders.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
        for o in out.contents() {
            let Some(key) = o.key() else { continue };
            if let Some((_, cut)) = &scan
                && cut.past_end(key)
            {
                return page;
            }
            page.objects.push((key.to_string(), o.size().unwrap_or(0).max(0) as u64, o.e_tag().map(str::to_string)));
        }
        match out.next_continuation_token() {
            Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return page,
        }
    }
}

/// Walks the bucket from its prefix, listing several prefixes at once, and
/// hands over each object of the cut as soon as it is found.
async fn walk(bucket: &Bucket, client: &Client, found: &mut dyn FnMut(Item), listing: &mut Listing) {
    let mut tasks = tokio::task::JoinSet::new();
    let mut waiting: Vec<String> = vec![bucket.at.prefix.clone()];
    let cut = &bucket.cut;
    loop {
        while tasks.len() < LISTINGS
            && let Some(prefix) = waiting.pop()
        {
            // A region's folder is scanned whole from the cut's start.
            let scan = layout::after_awslogs(&prefix).and_then(|(_, segs)| {
                let p = layout::partial(&segs)?;
                let (account, family, region) = (p.account?, p.family?, p.region?);
                p.date.is_empty().then(|| (cut.start_after(&prefix, account, family, region), cut.clone()))
            });
            tasks.spawn(list_prefix(client.clone(), bucket.at.bucket.clone(), prefix, scan));
        }
        let Some(done) = tasks.join_next().await else { break };
        bucket.counters.listings.fetch_add(1, Relaxed);
        let Ok(page) = done else { continue };
        if let Some(why) = page.problem {
            listing.problems.push(bucket.problem(&page.prefix, why));
        }
        for folder in page.folders {
            if cut.wants_folder_at(&folder) {
                waiting.push(folder);
            }
        }
        for (key, size, etag) in page.objects {
            let name = key.rsplit('/').next().unwrap_or(&key);
            if !layout::is_log_name(name) || !cut.wants_file(&key) {
                listing.skipped += u64::from(!layout::is_log_name(name));
                continue;
            }
            if let Some(etag) = etag {
                bucket.etags.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), etag);
            }
            let mut item = Item::new(bucket.name(&key), Some(size), Locator::Key(key.clone()));
            item.origin = Some(Origin { bucket: bucket.at.bucket.clone(), key: key.clone() });
            match layout::parse(&key).map(|k| k.family) {
                Some(Family::Digest) => listing.digests.push(item),
                _ if layout::is_digest_path(&key) => listing.digests.push(item),
                _ => found(item),
            }
        }
        // Popped from the end: prefixes are listed in key order, so objects
        // come roughly in time order within a region.
        waiting.sort_unstable_by(|a, b| b.cmp(a));
    }
}

/// A budget of bytes in flight: a fetch takes its object's size (at most the
/// whole budget) and gives it back when done.
struct Budget {
    free: Mutex<u64>,
    given_back: Condvar,
    total: u64,
}

struct Held<'a>(&'a Budget, u64);

impl Budget {
    fn new(total: u64) -> Budget {
        Budget { free: Mutex::new(total), given_back: Condvar::new(), total }
    }

    fn take(&self, bytes: u64) -> Held<'_> {
        let want = bytes.clamp(1, self.total);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < want {
            free = self.given_back.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= want;
        Held(self, want)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += self.1;
        self.0.given_back.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let at = Location::parse_url("s3://my-trail/org/AWSLogs").unwrap().unwrap();
        assert_eq!((at.bucket.as_str(), at.prefix.as_str()), ("my-trail", "org/AWSLogs/"));
        assert_eq!(Location::parse_url("s3://b-1.x").unwrap().unwrap().prefix, "");
        assert!(Location::parse_url("s3://Bad_Bucket/x").unwrap().is_err());
        assert!(Location::parse_url("s3://").unwrap().is_err());
        assert!(Location::parse_url("./s3/x").is_none());
    }

    #[test]
    fn the_budget_bounds_bytes_in_flight() {
        let b = Budget::new(100);
        let (x, y) = (b.take(60), b.take(40));
        assert_eq!(*b.free.lock().unwrap(), 0);
        drop((x, y));
        let whole = b.take(500); // larger than the budget: takes all of it, alone
        assert_eq!(*b.free.lock().unwrap(), 0);
        drop(whole);
        assert_eq!(*b.free.lock().unwrap(), 100);
    }
}
