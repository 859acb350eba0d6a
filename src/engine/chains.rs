//! How a credential chain reads as text, origin last: each session, and
//! the call that issued its key. The data's values are escaped.

use crate::format::thousands;
use crate::identity::Chain;
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::sanitize::visible;
use crate::store::Store;
use crate::store::blobs::ChunkCache;

/// How a link reads in the chain.
fn link_note(h: &crate::identity::Hop) -> &'static str {
    match h.link {
        Some(crate::identity::Link::Inferred) => " (inferred: its response hid the key)",
        Some(crate::identity::Link::Password) => " (set the console password the session signed in with)",
        _ => "",
    }
}

pub fn chain_text(chain: &Chain, store: &Store, cache: &mut ChunkCache) -> String {
    let mut out = String::new();
    let or_unknown = |s: &str| if s.is_empty() { "?".to_string() } else { visible(s).into_owned() };
    for (i, h) in chain.hops.iter().enumerate() {
        if let Some(e) = h.issued_by {
            out += &format!(
                "   ↓ {}{} at {} from {} (event {})\n",
                or_unknown(store.value(e, Field::Name)),
                link_note(h),
                format_utc(store.time(e)),
                or_unknown(h.source_ip.as_deref().unwrap_or("")),
                or_unknown(&store.event_id(e, cache))
            );
            for &c in &h.confirmed_by {
                out += &format!(
                    "     also logged in account {} (event {})\n",
                    or_unknown(store.value(c, Field::Account)),
                    or_unknown(&store.event_id(c, cache))
                );
            }
        }
        let what = if i == 0 { chain.end.says() } else { "session" };
        out += &format!(
            "{what:<9} {}  {}  account {}  {} events\n",
            or_unknown(&h.actor),
            h.key.as_deref().map_or("(no key)".to_string(), |k| visible(k).into_owned()),
            or_unknown(&h.account),
            thousands(h.events as u64)
        );
        for (arn, n) in &h.conflicts {
            out += &format!(
                "          ! the same key is also used by {} ({} events): a conflict, not linked\n",
                or_unknown(arn),
                thousands(*n as u64)
            );
        }
    }
    out
}
