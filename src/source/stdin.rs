//! Standard input as a source: one item, streamed.

use super::decode::Opened;
use super::item::{Item, Listing, Source};
use std::io;

pub struct Stdin;

impl Source for Stdin {
    fn list(&self) -> Listing {
        Listing { items: vec![Item { name: "<stdin>".into(), size: None, locator: "-".into() }], ..Listing::default() }
    }

    fn open(&self, _: &Item) -> io::Result<Opened> {
        super::decode::open_stdin()
    }

    fn concurrency(&self) -> usize {
        1
    }
}
