//! Detections: Sigma rules (trailscope's own catalogue and the user's files)
//! run over the store as events arrive. `yaml` reads rule files, `rule` and
//! `condition` are what a rule says, `pattern` how values match, `ruleset`
//! the rules loaded, `engine` compiles detection rules and runs them on an
//! event, `ingest` runs them as the loader reads events, `correlate`
//! finds correlation matches, `fold` folds repeated matches into rows, `results` is what was found (kept beside the
//! store; it answers the query terms `rule:` and `level:`), `catalogue` the
//! built-in rules.

pub mod catalogue;
pub mod condition;
pub mod correlate;
pub mod engine;
pub mod fold;
pub mod ingest;
pub mod pattern;
pub mod results;
pub mod rule;
pub mod ruleset;
pub mod yaml;

pub use correlate::CorrMatch;
pub use results::{Annex, Detector, Finding, Results, RuleCount};
pub use rule::{DERIVED, Level, Rule};
pub use ruleset::{RuleSet, Unsupported};
