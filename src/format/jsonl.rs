//! JSONL records: find the text field of one JSON object per line, and put
//! the cleaned text back without touching any other byte of the line.
//!
//! Other fields are never re-serialised: the cleaned text is spliced into the
//! original line where the old string stood, so numbers, escapes, key order
//! and white space of every other field come out exactly as they went in.
//!
//! ```
//! use dechrome::format::jsonl::{Keys, Record};
//!
//! let keys = Keys::default();
//! let line = br#"{"id": 7, "text": "Skip Navigation\nStory.", "n": 1.50}"#;
//! let record = Record::parse(line, &keys).unwrap();
//! assert_eq!(record.text, "Skip Navigation\nStory.");
//! assert_eq!(record.id.as_deref(), Some("7"));
//! assert_eq!(record.splice(line, "Story."), br#"{"id": 7, "text": "Story.", "n": 1.50}"#);
//! ```

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Which fields hold the text, the id and the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    /// The field to clean (`--text-key`, top level).
    pub text: String,
    /// The id used in messages and attribute files (`--id-key`, top level).
    pub id: String,
    /// The URL for site-scoped rules (`--url-key`); dots name nested fields (`metadata.url`).
    pub url: String,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            text: "text".into(),
            id: "id".into(),
            url: "url".into(),
        }
    }
}

/// A parsed JSONL line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The decoded text field.
    pub text: String,
    /// Byte range of the text field's JSON string (quotes included) in the line.
    pub text_span: (usize, usize),
    /// The id, as text (a JSON string's content, or the raw JSON of another value).
    pub id: Option<String>,
    /// The raw JSON of the id, to copy into attribute files as it was.
    pub id_json: Option<String>,
    /// The URL, if the URL field is a string.
    pub url: Option<String>,
}

/// The top-level fields of an object, in order, as raw JSON.
struct Fields<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Fields<'de>, M::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

impl<'a> Fields<'a> {
    fn parse(json: &'a str) -> Result<Fields<'a>, String> {
        serde_json::from_str(json).map_err(|e| match lone_surrogate(json) {
            // (In a key: serde_json takes no lone surrogate there.)
            Some(escape) if e.to_string().contains("hex escape") => {
                format!("`{escape}` in a key is {LONE_SURROGATE}")
            }
            _ => describe(&e),
        })
    }

    /// The one value of `key`; a key given twice is an error, since readers
    /// disagree on which copy counts.
    fn get(&self, key: &str) -> Result<Option<&'a RawValue>, String> {
        let mut found = self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| *v);
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("the key `{key}` appears more than once"));
        }
        Ok(first)
    }
}

fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // JSON, but another value than an object: no column to point at.
    if e.is_data() {
        let (what, _) = position(&msg);
        let found = what
            .strip_prefix("invalid type: ")
            .and_then(|w| w.split_once(", expected"))
            .map_or(what, |(found, _)| found);
        let found = match found {
            "sequence" => "an array",
            "unit value" => "null",
            other => other,
        };
        return format!("not a JSON object (found {found})");
    }
    // Keep the column; the line is ours.
    match position(&msg) {
        (what, Some(col)) => format!("invalid JSON at column {col}: {what}"),
        (_, None) => format!("invalid JSON: {msg}"),
    }
}

/// A serde_json message without the " at line 1 column N" it appends, and
/// that column.
fn position(msg: &str) -> (&str, Option<&str>) {
    match msg.rsplit_once(" at line 1 column ") {
        Some((what, col)) => (what, Some(col)),
        None => (msg, None),
    }
}

/// What a lone surrogate escape ([`lone_surrogate`]) is, for messages.
const LONE_SURROGATE: &str = "half of a UTF-16 pair alone, which is no character";

/// The first `\uXXXX` escape in a JSON string that is a UTF-16
/// surrogate without its other half.
fn lone_surrogate(json: &str) -> Option<&str> {
    let bytes = json.as_bytes();
    let unit = |at: usize| {
        let hex = json.get(at + 2..at + 6)?;
        (bytes[at] == b'\\' && bytes[at + 1] == b'u')
            .then(|| u16::from_str_radix(hex, 16).ok())
            .flatten()
    };
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        match unit(at) {
            Some(0xD800..=0xDBFF) => {
                if !matches!(unit(at + 6), Some(0xDC00..=0xDFFF)) {
                    return json.get(at..at + 6);
                }
                at += 12;
            }
            Some(0xDC00..=0xDFFF) => return json.get(at..at + 6),
            Some(_) => at += 6,
            // Any other escape is two bytes (`\"`, `\\`, `\n`...).
            None => at += 2,
        }
    }
    None
}

fn as_string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

impl Record {
    /// Parses one line. An error says why the line is not a usable record
    /// (not JSON, not an object, no string text field, a duplicated key).
    pub fn parse(line: &[u8], keys: &Keys) -> Result<Record, String> {
        // A byte-order mark before the object (the first line of a file
        // saved by some editors) is kept, and the object read after it.
        let bom = if line.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut record = Record::parse_object(&line[bom..], keys)?;
        record.text_span.0 += bom;
        record.text_span.1 += bom;
        Ok(record)
    }

    fn parse_object(line: &[u8], keys: &Keys) -> Result<Record, String> {
        let json = std::str::from_utf8(line)
            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
        let fields = Fields::parse(json)?;
        let raw_text = fields
            .get(&keys.text)?
            .ok_or_else(|| format!("no `{}` field", keys.text))?;
        let text = serde_json::from_str::<String>(raw_text.get()).map_err(|e| {
            if let Some(escape) = lone_surrogate(raw_text.get()) {
                format!(
                    "the `{}` field holds `{escape}`, {LONE_SURROGATE} (Python's json.dumps \
                     writes one for each undecodable byte)",
                    keys.text
                )
            } else if raw_text.get().starts_with('"') {
                // The column counts within the field: left out.
                let e = e.to_string();
                let (what, _) = position(&e);
                format!("the `{}` field is not a valid string: {what}", keys.text)
            } else {
                format!("the `{}` field is not a string", keys.text)
            }
        })?;
        let start = raw_text.get().as_ptr() as usize - json.as_ptr() as usize;
        let text_span = (start, start + raw_text.get().len());
        let raw_id = fields.get(&keys.id)?;
        let id = raw_id.map(|raw| as_string(raw).unwrap_or_else(|| raw.get().to_string()));
        let id_json = raw_id.map(|raw| raw.get().to_string());
        let url = nested_string(&fields, &keys.url)?;
        Ok(Record {
            text,
            text_span,
            id,
            id_json,
            url,
        })
    }

    /// The line with the text field replaced by `cleaned`, every other byte as it was.
    pub fn splice(&self, line: &[u8], cleaned: &str) -> Vec<u8> {
        let (start, end) = self.text_span;
        // Room for the text with its quotes and a few escapes.
        let mut out = Vec::with_capacity(line.len() - (end - start) + cleaned.len() + 16);
        out.extend_from_slice(&line[..start]);
        write_string(&mut out, cleaned);
        out.extend_from_slice(&line[end..]);
        out
    }
}

/// Appends `text` as a JSON string, quotes included, escaped byte for byte
/// as `serde_json` escapes it (`\"`, `\\`, `\b \f \n \r \t`, other control
/// characters as `\u00xx`, nothing else), which a test checks. `serde_json`
/// looks up every byte in a table; this marks the bytes to escape eight at a
/// time and goes straight to each: in cleaned text they are few (a newline
/// ends each line of about 70 bytes), and the rest is copied in runs.
fn write_string(out: &mut Vec<u8>, text: &str) {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of each byte of `x` that is zero: exact, as no sum
    // carries out of its byte.
    let zeros = |x: u64| !(((x & LOW) + LOW) | x) & HIGH;
    // ... and of each byte below 0x20.
    let controls = |x: u64| !(((x & LOW) + ONES * 0x60) | x) & HIGH;
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Bytes before `done` are written.
    let mut done = 0;
    let escape = |out: &mut Vec<u8>, i: usize, done: &mut usize| {
        let byte = bytes[i];
        out.extend_from_slice(&bytes[*done..i]);
        *done = i + 1;
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xF)]]);
            }
        }
    };
    let mut words = bytes.chunks_exact(8);
    for (k, word) in words.by_ref().enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let mut marks = controls(x)
            | zeros(x ^ (ONES * u64::from(b'"')))
            | zeros(x ^ (ONES * u64::from(b'\\')));
        while marks != 0 {
            let i = 8 * k + (marks.trailing_zeros() / 8) as usize;
            marks &= marks - 1;
            escape(out, i, &mut done);
        }
    }
    let tail = bytes.len() - words.remainder().len();
    for (i, &byte) in bytes.iter().enumerate().skip(tail) {
        if byte < 0x20 || byte == b'"' || byte == b'\\' {
            escape(out, i, &mut done);
        }
    }
    out.extend_from_slice(&bytes[done..]);
    out.push(b'"');
}

/// The string at a dotted path (`metadata.url`), if there is one.
fn nested_string(fields: &Fields<'_>, path: &str) -> Result<Option<String>, String> {
    let mut parts = path.split('.');
    let Some(first) = parts.next() else {
        return Ok(None);
    };
    let Some(mut raw) = fields.get(first)? else {
        return Ok(None);
    };
    for part in parts {
        let Ok(inner) = Fields::parse(raw.get()) else {
            return Ok(None);
        };
        match inner.get(part)? {
            Some(next) => raw = next,
            None => return Ok(None),
        }
    }
    Ok(as_string(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(url: &str) -> Keys {
        Keys {
            url: url.into(),
            ..Keys::default()
        }
    }

    #[test]
    fn parses_and_splices_keeping_other_bytes() {
        let line = r#"{ "z":1e5, "text" : "caf\u00e9 \ud83d\ude00 line", "id":"a-1", "x":[1, 2] }"#;
        let r = Record::parse(line.as_bytes(), &Keys::default()).unwrap();
        assert_eq!(r.text, "café 😀 line");
        assert_eq!(r.id.as_deref(), Some("a-1"));
        assert_eq!(r.id_json.as_deref(), Some("\"a-1\""));
        let out = r.splice(line.as_bytes(), "café");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{ "z":1e5, "text" : "café", "id":"a-1", "x":[1, 2] }"#
        );
    }

    #[test]
    fn nested_url_keys() {
        let line = br#"{"text":"t","metadata":{"url":"https://a.example/x","n":{"url":"deep"}}}"#;
        assert_eq!(
            Record::parse(line, &keys("metadata.url"))
                .unwrap()
                .url
                .as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(
            Record::parse(line, &keys("metadata.n.url"))
                .unwrap()
                .url
                .as_deref(),
            Some("deep")
        );
        assert_eq!(
            Record::parse(line, &keys("metadata.nope")).unwrap().url,
            None
        );
        assert_eq!(Record::parse(line, &keys("text.url")).unwrap().url, None);
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain".into(),
            "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{1}i\u{1f}j\u{7f}k/l".into(),
            "caf\u{e9} \u{1F600} \u{2028}".into(),
            (0u8..0x80).map(char::from).collect(),
        ];
        // Random mixes of the bytes that matter and of those that do not,
        // long and short, so that escapes fall at every place in a word.
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        let alphabet = [
            'a',
            ' ',
            '"',
            '\\',
            '\n',
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            '\u{e9}',
            '\u{1F600}',
        ];
        for _ in 0..2_000 {
            let len = rng.below(40);
            cases.push(
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect(),
            );
        }
        for text in cases {
            let mut ours = Vec::new();
            write_string(&mut ours, &text);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn bad_lines_say_why() {
        let cases = [
            ("not json", "invalid JSON"),
            ("[1,2]", "not a JSON object (found an array)"),
            ("null", "not a JSON object (found null)"),
            ("\"s\"", "not a JSON object (found string \"s\")"),
            (r#"{"id":1}"#, "no `text` field"),
            (r#"{"text":5}"#, "not a string"),
            (r#"{"text":null}"#, "not a string"),
            (r#"{"text":"a","text":"b"}"#, "more than once"),
            (
                r#"{"text":"\ud800"}"#,
                r"holds `\ud800`, half of a UTF-16 pair alone",
            ),
            (r#"{"text":"a\\ud800 \udcffb"}"#, r"holds `\udcff`"),
            (r#"{"text":"\ud83d\ude00 \ud83d"}"#, r"holds `\ud83d`"),
            (
                r#"{"text":"\x"}"#,
                "invalid JSON at column 11: invalid escape",
            ),
            (r#"{"text":"a"} trailing"#, "invalid JSON"),
            (
                r#"{"text":"a","\ud800":1}"#,
                r"`\ud800` in a key is half of a UTF-16 pair alone",
            ),
        ];
        for (line, want) in cases {
            let err = Record::parse(line.as_bytes(), &Keys::default()).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
        let err = Record::parse(b"{\"text\":\"\xff\"}", &Keys::default()).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
        let err = Record::parse(br#"{"text":"\ud800"}"#, &Keys::default()).unwrap_err();
        assert!(!err.contains("line 1"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_kept_before_the_object() {
        let line = b"\xEF\xBB\xBF{\"id\":1,\"text\":\"Skip Navigation\\nStory.\"}";
        let record = Record::parse(line, &Keys::default()).unwrap();
        assert_eq!(record.text, "Skip Navigation\nStory.");
        assert_eq!(
            record.splice(line, "Story."),
            b"\xEF\xBB\xBF{\"id\":1,\"text\":\"Story.\"}"
        );
    }
}
