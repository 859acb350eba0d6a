//! The integration tests, as modules of one test binary: linked once
//! instead of once per file, and run on all cores at once (a binary's tests
//! run in parallel, binaries one after another). Each file tests one thing;
//! `common` holds what they share. `config.rs` is a binary of its own: it
//! sets the key table, which a process builds once.

mod common;

mod architecture;
mod athena;
mod attribution;
mod case;
mod case_crash;
mod catalogue;
mod cli;
mod coverage;
mod detect_cli;
mod detect_ingest;
mod determinism;
mod export;
mod firsts;
mod hostile;
mod identity;
mod incidents;
mod integrity;
mod query_engine;
mod resources;
mod roundtrip;
mod s3;
mod shared_data;
mod sigma_agreement;
mod sources;
mod stratus;
mod text_index;
mod tui_screens;
mod tui_soak;
mod tui_state;
mod tui_tmux;
mod verify;
mod zip;
