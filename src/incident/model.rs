//! What an incident is: its parts, and the tactics it is read along.

use crate::detect::Level;
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::EventId;

/// ATT&CK's tactics in kill-chain order (an incident lists its tactics so),
/// each with the two letters a strip shows it by.
pub const KILL_CHAIN: [(&str, &str); 14] = [
    ("reconnaissance", "Rc"),
    ("resource-development", "Rd"),
    ("initial-access", "IA"),
    ("execution", "Ex"),
    ("persistence", "Pe"),
    ("privilege-escalation", "PE"),
    ("defense-evasion", "DE"),
    ("credential-access", "CA"),
    ("discovery", "Di"),
    ("lateral-movement", "LM"),
    ("collection", "Co"),
    ("command-and-control", "C2"),
    ("exfiltration", "Xf"),
    ("impact", "Im"),
];

/// Tactics as a compact strip in kill-chain order (`IA Di Pe DE Xf`).
pub fn strip(tactics: &[&str]) -> String {
    KILL_CHAIN.iter().filter(|(t, _)| tactics.contains(t)).map(|(_, c)| *c).collect::<Vec<_>>().join(" ")
}

/// What an incident's findings are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum By {
    /// The origin of their credentials (or their own identity).
    Origin,
    /// Their access key, when they have no identity to go by.
    Key,
    /// Their source address, when they have neither.
    Address,
}

impl By {
    /// The field a query selects the group by.
    pub fn field(self) -> Field {
        match self {
            By::Origin => Field::Origin,
            By::Key => Field::AccessKey,
            By::Address => Field::Ip,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            By::Origin => "origin",
            By::Key => "key",
            By::Address => "address",
        }
    }
}

/// One incident.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Its rank: 1 is the highest score.
    pub id: u32,
    pub by: By,
    /// The origin (or key, or address) it is grouped by.
    pub origin: String,
    pub first: Micros,
    pub last: Micros,
    /// Its flagged events, oldest first.
    pub flagged: Vec<EventId>,
    /// Every event done with its credentials from the first finding to the last, oldest first.
    pub events: Vec<EventId>,
    /// The highest level of its findings.
    pub top: Level,
    /// Rules with the flagged events they matched, the most serious first.
    pub rules: Vec<(usize, usize)>,
    /// Tactics of its rules, in kill-chain order.
    pub tactics: Vec<&'static str>,
    /// The accounts its events were in or made by, the most used first
    /// (other values are read with `incident::values` when shown).
    pub accounts: Vec<String>,
    /// Its events that were the identity's first use of something.
    pub new_uses: usize,
    pub score: Score,
}

impl Incident {
    /// How long it lasted, in short words (`<1m`, `45m`, `3h`, `2d`).
    pub fn span(&self) -> String {
        match (self.last - self.first) / 60_000_000 {
            0 => "<1m".into(),
            m if m < 120 => format!("{m}m"),
            m if m < 48 * 60 => format!("{}h", m / 60),
            m => format!("{}d", m / (24 * 60)),
        }
    }
}

/// An incident's score and why.
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub total: u32,
    /// The level its score stands for.
    pub level: Option<Level>,
    /// Points (or, for routine, a factor in percent, negative) and what earned them.
    pub reasons: Vec<(i32, String)>,
}
