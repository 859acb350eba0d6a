//! Who is really behind a session: the credential graph, kept beside the
//! store as events arrive. Each access key links to the event that issued
//! it (`AssumeRole*`, `GetSessionToken`, `GetFederationToken`,
//! `GetRoleCredentials`, or `CreateAccessKey` for a long-term key), that
//! event to its caller's key, and so on to the identity at the end: the
//! key's **origin** (an IAM user, root, a federated or Identity Center
//! user, an AWS service). `graph` holds the links, `chain` walks them,
//! `tracker` keeps them up to date, `annex` answers the query terms
//! `origin:` and `session:`, and `actors` sums up what each identity did.

pub mod actors;
pub mod annex;
pub mod chain;
pub mod firsts;
pub mod graph;
pub mod principal;
pub mod tracker;

pub use annex::Annex;
pub use chain::{Chain, End, Hop};
pub use graph::{CredId, Graph, Link};
pub use tracker::Tracker;
