//! From a `metrics` key (a name and labels) to the Graphite series carbon stores.
//!
//! # The mapping (one, documented, applied to every name)
//! - A metric name keeps ASCII letters, digits, `_`, `-` and `.`; every other character becomes `_`
//!   (`http requests{}` -> `http_requests__`). Empty path segments are dropped (`a..b.` -> `a.b`), so a
//!   name never makes carbon split an empty directory.
//! - With [`LabelMapping::Tags`] (the default) labels become Graphite tags, `name;key=value;...`, in
//!   carbon's canonical order (sorted by key; the core's [`carbon_pickle::tags::canonical`] writes it).
//!   A tag key keeps the same characters as a name, minus `.`; a tag value loses only what carbon refuses
//!   in a value: `;` becomes `_` and a leading `~` becomes `_`; an empty value becomes `_`.
//! - With [`LabelMapping::PathSegments`] each label's value (sanitised as a name, dots included: `_`)
//!   is appended as a path segment, in key order: `name.value1.value2`.
//! - Global tags (the builder's) are labels too: a metric's own label of the same key wins.
//!
//! A name the core still refuses (too long for carbon's file names, say) is not sent: the exporter counts
//! it in its own `refused` metric and logs it once.

use std::string::String;

use carbon_pickle::{tags, PathRules};

/// How labels are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LabelMapping {
    /// `name;key=value` tags (carbon with `ENABLE_TAGS`, Graphite 1.1 and later; Hosted Graphite).
    #[default]
    Tags,
    /// `name.value` path segments, in key order (plain Graphite without tag support).
    PathSegments,
}

/// `name` by the mapping's name rule.
///
/// ```
/// use metrics_exporter_carbon::sanitize_name;
/// assert_eq!(sanitize_name("http requests{}.total"), "http_requests__.total");
/// assert_eq!(sanitize_name(".a..b."), "a.b");
/// ```
pub fn sanitize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for segment in name.split('.').filter(|s| !s.is_empty()) {
        if !out.is_empty() {
            out.push('.');
        }
        out.extend(segment.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        }));
    }
    out
}

fn sanitize_key(key: &str) -> String {
    sanitize_name(key).replace('.', "_")
}

fn sanitize_value(value: &str) -> String {
    let mut v = value.replace(';', "_");
    if v.starts_with('~') {
        v.replace_range(..1, "_");
    }
    if v.is_empty() {
        v.push('_');
    }
    v
}

/// The series for a name and its labels (global tags merged in), in the form carbon stores, or `None`
/// when the core refuses it.
pub(crate) fn series<'a>(
    name: &str,
    given: impl Iterator<Item = (&'a str, &'a str)>,
    mapping: LabelMapping,
) -> Option<String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    for (k, v) in given {
        let k = sanitize_key(k);
        if k.is_empty() || labels.iter().any(|(seen, _)| *seen == k) {
            continue; // the metric's own label comes first and wins
        }
        labels.push((k, v.to_owned()));
    }
    labels.sort();
    let mut path = sanitize_name(name);
    if path.is_empty() {
        return None;
    }
    match mapping {
        LabelMapping::Tags => {
            for (k, v) in &labels {
                path.push(';');
                path.push_str(k);
                path.push('=');
                path.push_str(&sanitize_value(v));
            }
            if labels.is_empty() {
                return check_plain(path);
            }
            let mut buf = vec![0u8; path.len() + 16];
            tags::canonical(&path, PathRules::default(), &mut buf)
                .ok()
                .map(str::to_owned)
        }
        LabelMapping::PathSegments => {
            for (_, v) in &labels {
                let v = sanitize_key(v);
                path.push('.');
                path.push_str(if v.is_empty() { "_" } else { &v });
            }
            check_plain(path)
        }
    }
}

fn check_plain(path: String) -> Option<String> {
    let mut buf = vec![0u8; path.len() + 16];
    tags::canonical(&path, PathRules::default(), &mut buf).ok()?;
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_canonical_tags() {
        let got = series(
            "http.requests",
            [("status", "200"), ("method", "GET"), ("dc", "eu;1")].into_iter(),
            LabelMapping::Tags,
        );
        assert_eq!(
            got.as_deref(),
            Some("http.requests;dc=eu_1;method=GET;status=200")
        );
    }

    #[test]
    fn own_label_wins_over_global_and_segments_sort_by_key() {
        let labels = [("host", "a"), ("dc", "eu"), ("host", "global")];
        let got = series("cpu", labels.into_iter(), LabelMapping::PathSegments);
        assert_eq!(got.as_deref(), Some("cpu.eu.a"));
    }

    #[test]
    fn refused_name_is_none() {
        assert_eq!(series("...", [].into_iter(), LabelMapping::Tags), None);
        let long = "x".repeat(300);
        assert_eq!(series(&long, [].into_iter(), LabelMapping::Tags), None);
    }
}
