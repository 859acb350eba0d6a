//! Running a statement through the Athena API: start it, follow it (state,
//! data scanned) until it ends, and read the rows it returned. The
//! statement has the `Locations` shape (`eventid`, and the object holding
//! the event), so the result becomes a [`Selection`]: the objects to fetch
//! and the events to keep from each.

use crate::source::s3::{aws_config, chain};
use crate::source::selection::{MARK, Object, Selection};
use aws_sdk_athena::Client;
use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where and how to run.
#[derive(Debug, Clone)]
pub struct Target {
    pub workgroup: String,
    pub database: String,
    /// `s3://…` for the result files, when the workgroup does not set it.
    pub output: Option<String>,
    pub profile: Option<String>,
}

/// How a run is going, for progress lines.
#[derive(Debug, Clone)]
pub struct Status {
    pub execution: String,
    pub state: String,
    pub scanned_bytes: u64,
    pub elapsed: Duration,
}

/// The longest a statement is followed before trailscope stops it.
const PATIENCE: Duration = Duration::from_secs(6 * 3600);
/// Rows read at most: each names one event to load.
const MAX_ROWS: usize = 20_000_000;

/// An Athena error in plain words (never a credential).
fn plain<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug + 'static>(
    e: &SdkError<E, R>,
) -> String {
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("an error");
            let text: String =
                err.message().unwrap_or_default().chars().filter(|c| !c.is_control()).take(400).collect();
            if text.is_empty() { format!("Athena said {code}") } else { format!("Athena said {code}: {text}") }
        }
        SdkError::TimeoutError(_) => "Athena did not answer in time".into(),
        _ => format!("could not reach Athena: {}", chain(e)),
    }
}

/// Runs `sql` and returns what it selected, calling `progress` as it goes.
pub fn run(sql: &str, query: &str, target: &Target, progress: &mut dyn FnMut(&Status)) -> Result<Selection, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the Athena client: {e}"))?;
    rt.block_on(async {
        let sdk = aws_config(target.profile.as_deref()).await;
        let client = Client::new(&sdk);
        let mut start = client
            .start_query_execution()
            .query_string(sql)
            .work_group(&target.workgroup)
            .query_execution_context(QueryExecutionContext::builder().database(&target.database).build());
        if let Some(out) = &target.output {
            start = start.result_configuration(ResultConfiguration::builder().output_location(out).build());
        }
        let started = start.send().await.map_err(|e| plain(&e))?;
        let id = started.query_execution_id().ok_or("Athena gave no execution ID")?.to_string();
        let scanned = follow(&client, &id, progress).await?;
        let objects = rows(&client, &id).await?;
        Ok(Selection {
            trailscope: MARK.into(),
            version: 1,
            query: query.into(),
            sql: sql.into(),
            workgroup: target.workgroup.clone(),
            execution: id,
            scanned_bytes: scanned,
            objects,
        })
    })
}

/// Waits for the run to end; returns the bytes it scanned.
async fn follow(client: &Client, id: &str, progress: &mut dyn FnMut(&Status)) -> Result<u64, String> {
    let began = Instant::now();
    let mut wait = Duration::from_millis(500);
    loop {
        let out = client.get_query_execution().query_execution_id(id).send().await.map_err(|e| plain(&e))?;
        let exec = out.query_execution().ok_or("Athena said nothing of the run")?;
        let status = exec.status();
        let state = status.and_then(|s| s.state()).cloned();
        let scanned = exec.statistics().and_then(|s| s.data_scanned_in_bytes()).unwrap_or(0).max(0) as u64;
        progress(&Status {
            execution: id.into(),
            state: state.as_ref().map_or("UNKNOWN", |s| s.as_str()).into(),
            scanned_bytes: scanned,
            elapsed: began.elapsed(),
        });
        match state {
            Some(QueryExecutionState::Succeeded) => return Ok(scanned),
            Some(QueryExecutionState::Failed) | Some(QueryExecutionState::Cancelled) => {
                let why: String = status
                    .and_then(|s| s.state_change_reason())
                    .unwrap_or("no reason given")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(600)
                    .collect();
                let ended = if state == Some(QueryExecutionState::Cancelled) { "was cancelled" } else { "failed" };
                return Err(format!("the query {ended}: {why}"));
            }
            _ => {}
        }
        if began.elapsed() > PATIENCE {
            let _ = client.stop_query_execution().query_execution_id(id).send().await;
            return Err(format!("the query ran for more than {} hours and was stopped", PATIENCE.as_secs() / 3600));
        }
        // Ctrl-C stops the query in Athena too: left running it would go on scanning (and billing).
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => {
                let _ = client.stop_query_execution().query_execution_id(id).send().await;
                return Err("interrupted: the query was stopped in Athena".into());
            }
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// The rows of a finished run, grouped by object.
async fn rows(client: &Client, id: &str) -> Result<Vec<Object>, String> {
    let mut by_object: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut token: Option<String> = None;
    let mut columns: Option<(usize, usize)> = None;
    let mut read = 0usize;
    loop {
        let page = client
            .get_query_results()
            .query_execution_id(id)
            .max_results(1000)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| plain(&e))?;
        let Some(set) = page.result_set() else { break };
        if columns.is_none() {
            let names: Vec<String> = set
                .result_set_metadata()
                .map(|m| m.column_info().iter().map(|c| c.name().to_ascii_lowercase()).collect())
                .unwrap_or_default();
            let at = |n: &str| names.iter().position(|c| c == n);
            columns = Some(match (at("eventid"), at("object")) {
                (Some(e), Some(o)) => (e, o),
                _ => return Err(format!("the result has no eventid and object columns ({})", names.join(", "))),
            });
        }
        let (e, o) = columns.unwrap_or((0, 1));
        for row in set.rows() {
            let cell = |i: usize| row.data().get(i).and_then(|d| d.var_char_value()).map(str::to_string);
            let (Some(event), Some(object)) = (cell(e), cell(o)) else { continue };
            // The first row of a SELECT's first page repeats the column names.
            if event == "eventid" && object == "object" {
                continue;
            }
            read += 1;
            if read > MAX_ROWS {
                return Err(format!(
                    "the query matched more than {MAX_ROWS} events: narrow it (time, accounts, regions) before loading"
                ));
            }
            by_object.entry(object).or_default().push(event);
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(by_object.into_iter().map(|(url, events)| Object { url, events }).collect())
}
