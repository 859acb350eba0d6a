//! Times as the explorer shows them: UTC by default, local on request.

use crate::model::time::{Micros, format_utc};
use chrono::{DateTime, Local};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    Utc,
    Local,
}

impl TimeMode {
    pub fn toggled(self) -> TimeMode {
        match self {
            TimeMode::Utc => TimeMode::Local,
            TimeMode::Local => TimeMode::Utc,
        }
    }
}

/// `2024-05-14 08:01:35`, in UTC or local time.
pub fn show(t: Micros, mode: TimeMode) -> String {
    match mode {
        TimeMode::Utc => format_utc(t).replace('T', " ").trim_end_matches('Z').to_string(),
        TimeMode::Local => DateTime::from_timestamp_micros(t)
            .map_or_else(|| format_utc(t), |d| d.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string()),
    }
}

/// The zone's name for the header.
pub fn zone(mode: TimeMode) -> String {
    match mode {
        TimeMode::Utc => "UTC".into(),
        TimeMode::Local => format!("local {}", Local::now().format("%:z")),
    }
}
