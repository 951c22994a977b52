//! Dolma attribute rows (`--attributes DIR`): the removal spans of each
//! document in Unicode code points, so that Dolma's mixer (`span_replacement`
//! with an empty replacement) reproduces dechrome's output.
//!
//! ```
//! use dechrome::attributes::row;
//! use dechrome::span::{Cause, Span};
//!
//! let doc = "é Skip\nStory".as_bytes();
//! let spans = [Span { start: 0, end: 8, cause: Cause::Layout }];
//! assert_eq!(
//!     row(Some("\"doc-1\""), "dechrome", doc, &spans),
//!     r#"{"id":"doc-1","attributes":{"dechrome__removed":[[0,7,1.0]]}}"#
//! );
//! ```

use std::fmt::Write;

use crate::span::Span;
use crate::stats::char_offsets;

/// One attribute row: `{"id": ID, "attributes": {"NAME__removed": [[start, end, 1.0], ...]}}`
/// with `start` and `end` in code points of `doc` (end exclusive). `id_json`
/// is the id as raw JSON (copied from the input record); `None` writes `null`.
pub fn row(id_json: Option<&str>, name: &str, doc: &[u8], spans: &[Span]) -> String {
    let offsets = char_offsets(doc, spans.iter().flat_map(|s| [s.start, s.end]));
    let mut out = String::with_capacity(64 + spans.len() * 16);
    out.push_str("{\"id\":");
    out.push_str(id_json.unwrap_or("null"));
    out.push_str(",\"attributes\":{");
    out.push_str(&serde_json::to_string(&format!("{name}__removed")).expect("a string"));
    out.push_str(":[");
    for (i, pair) in offsets.chunks(2).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{},1.0]", pair[0], pair[1]);
    }
    out.push_str("]}}");
    out
}
