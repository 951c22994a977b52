//! The default rules, embedded in the binary at build time.

/// The embedded rule files: the name `--explain` shows, and the text.
pub const FILES: &[(&str, &str)] = &[
    (
        "rules/navigation.rules",
        include_str!("../rules/navigation.rules"),
    ),
    (
        "rules/notices.rules",
        include_str!("../rules/notices.rules"),
    ),
    (
        "rules/paywall.rules",
        include_str!("../rules/paywall.rules"),
    ),
    ("rules/social.rules", include_str!("../rules/social.rules")),
    (
        "rules/newsletter.rules",
        include_str!("../rules/newsletter.rules"),
    ),
    (
        "rules/trailers.rules",
        include_str!("../rules/trailers.rules"),
    ),
    (
        "rules/captions.rules",
        include_str!("../rules/captions.rules"),
    ),
    (
        "rules/attribution.rules",
        include_str!("../rules/attribution.rules"),
    ),
    ("rules/dumps.rules", include_str!("../rules/dumps.rules")),
    (
        "rules/comments.rules",
        include_str!("../rules/comments.rules"),
    ),
    (
        "rules/settings.rules",
        include_str!("../rules/settings.rules"),
    ),
];

/// The embedded line classifier model.
pub const CLASSIFIER_MODEL: &str = include_str!("../rules/classifier.model");

/// The embedded stop-word lists: language code and list (one word per line).
pub const STOPWORDS: &[(&str, &str)] = &[
    ("cs", include_str!("../rules/stopwords/cs.txt")),
    ("da", include_str!("../rules/stopwords/da.txt")),
    ("de", include_str!("../rules/stopwords/de.txt")),
    ("el", include_str!("../rules/stopwords/el.txt")),
    ("en", include_str!("../rules/stopwords/en.txt")),
    ("es", include_str!("../rules/stopwords/es.txt")),
    ("fi", include_str!("../rules/stopwords/fi.txt")),
    ("fr", include_str!("../rules/stopwords/fr.txt")),
    ("hu", include_str!("../rules/stopwords/hu.txt")),
    ("id", include_str!("../rules/stopwords/id.txt")),
    ("it", include_str!("../rules/stopwords/it.txt")),
    ("nl", include_str!("../rules/stopwords/nl.txt")),
    ("no", include_str!("../rules/stopwords/no.txt")),
    ("pl", include_str!("../rules/stopwords/pl.txt")),
    ("pt", include_str!("../rules/stopwords/pt.txt")),
    ("ro", include_str!("../rules/stopwords/ro.txt")),
    ("ru", include_str!("../rules/stopwords/ru.txt")),
    ("sv", include_str!("../rules/stopwords/sv.txt")),
    ("tr", include_str!("../rules/stopwords/tr.txt")),
    ("uk", include_str!("../rules/stopwords/uk.txt")),
];

#[cfg(test)]
mod tests {
    use super::FILES;

    #[test]
    fn every_rules_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rules"))
            .map(|n| format!("rules/{n}"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn every_embedded_file_parses() {
        let mut set = crate::RuleSet::new();
        for (name, text) in FILES {
            if let Err(e) = set.add_source(name, text) {
                panic!("{e}");
            }
        }
        assert!(set.rules().len() > 20);
    }
}
