//! `trailscope athena`: the CloudTrail table for a trail bucket (`ddl`) and
//! a query as Athena SQL over it (`sql`).

use super::args::{AthenaCommand, AthenaDdlArgs, AthenaSqlArgs, EXIT_OK, EXIT_USAGE, parse_query};
use crate::athena::ddl::{self, Trail};
use crate::athena::sql::{self, Range, Shape};
use crate::model::time::format_utc;
use crate::sanitize::visible;

pub fn main(cmd: &AthenaCommand) -> u8 {
    match cmd {
        AthenaCommand::Ddl(a) => ddl_main(a),
        AthenaCommand::Sql(a) => sql_main(a),
    }
}

fn ddl_main(a: &AthenaDdlArgs) -> u8 {
    let trail = Trail {
        bucket: a.bucket.clone(),
        prefix: a.prefix.clone(),
        org: a.org.clone(),
        accounts: a.account.clone(),
        regions: a.region.clone(),
        table: a.table.clone(),
        since: format_utc(a.since)[..10].replace('-', "/"),
    };
    match ddl::create_table(&trail) {
        Ok(text) => {
            print!("{text}");
            EXIT_OK
        }
        Err(why) => {
            eprintln!("trailscope: {}", visible(&why));
            EXIT_USAGE
        }
    }
}

fn sql_main(a: &AthenaSqlArgs) -> u8 {
    let q = match parse_query(a.query.as_deref()) {
        Ok(q) => q,
        Err(code) => return code,
    };
    if let Err(why) = ddl::check_table(&a.table) {
        eprintln!("trailscope: {}", visible(&why));
        return EXIT_USAGE;
    }
    match sql::statement(&q, &a.table, Range { since: a.since, until: a.until }, Shape::Records) {
        Ok(text) => {
            println!("{text};");
            EXIT_OK
        }
        Err(refused) => {
            eprintln!("trailscope: Athena cannot answer {}", visible(&refused.to_string()));
            EXIT_USAGE
        }
    }
}
