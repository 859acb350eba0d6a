//! Amazon Athena for what no single machine holds: the CloudTrail table
//! (`schema`, `ddl`), the query language as Athena SQL (`sql`), and running
//! it to load the matching events as one more source (`run`).

pub mod ddl;
pub mod run;
pub mod schema;
pub mod sql;
