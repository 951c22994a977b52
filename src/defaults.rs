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
