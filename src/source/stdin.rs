//! Standard input as a source: one item, streamed.

use super::decode::Opened;
use super::item::{Fetched, Item, Listing, Locator, Source};
use std::io;

pub struct Stdin;

impl Source for Stdin {
    fn list(&self, _: &mut dyn FnMut(Item)) -> Listing {
        Listing { items: vec![Item::new("<stdin>", None, Locator::Stdin)], ..Listing::default() }
    }

    fn open(&self, _: &Item) -> io::Result<Opened> {
        super::decode::open_stdin()
    }

    fn fetch(&self, _: &Item) -> io::Result<Fetched> {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::stdin(), &mut bytes)?;
        Ok(Fetched { bytes, metadata: None })
    }

    fn concurrency(&self) -> usize {
        1
    }
}
