//! Container image references ("nginx:1.27", "ghcr.io/team/app@sha256:…"), parsed by the
//! OCI distribution grammar so a typo is caught in the form, not by a failing pull.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A parsed image reference: `[registry/]repository[:tag][@digest]`.
///
/// The registry is the first path component when it looks like a host (contains '.' or ':'
/// or is `localhost`), as Docker and containerd decide it. Nothing is filled in: "nginx"
/// stays "nginx" (no `docker.io/library/`, no `:latest`), so the text shown is the text typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

const EXAMPLE: &str = "An image reference looks like registry.example.com/team/app:1.2 or nginx:1.27";
/// Longest registry + repository, as in docker/distribution (`NameTotalLengthMax`).
pub const NAME_MAX_LEN: usize = 255;
const TAG_MAX_LEN: usize = 128;

fn problem(what: impl fmt::Display) -> String {
    format!("{EXAMPLE}; {what}.")
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        if s.trim().is_empty() {
            return Err(problem("the image is empty"));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace()) {
            let what = if c == ' ' { "a space".to_owned() } else { format!("the white-space character {c:?}") };
            return Err(problem(format_args!("'{s}' contains {what}; remove it")));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(s, digest)?)),
            None => (s, None),
        };
        // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].find(':') {
            Some(i) => {
                let (name, tag) = rest.split_at(last_slash + i);
                (name, Some(parse_tag(s, &tag[1..])?))
            }
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(problem(format_args!("'{s}' has no repository name before the tag or digest")));
        }
        if name.len() > NAME_MAX_LEN {
            return Err(problem(format_args!("the name is {} characters long; at most {NAME_MAX_LEN} are allowed", name.len())));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => (Some(parse_registry(s, first)?), path),
            _ => (None, name),
        };
        check_repository(s, repository)?;
        Ok(ImageRef { registry, repository: repository.to_owned(), tag, digest })
    }

    /// The registry host (with port), when one was given.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The path inside the registry, e.g. "library/nginx" or "team/app".
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// `algorithm:hex`, e.g. "sha256:…".
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

fn parse_digest(full: &str, digest: &str) -> Result<String, String> {
    let bad = |what: String| Err(problem(format_args!("in '{full}' the digest after '@' {what}")));
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return bad("must be algorithm:hex, e.g. sha256: followed by 64 hex digits".to_owned());
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '-', '_']).all(|c| {
            let mut chars = c.chars();
            chars.next().is_some_and(|f| f.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !algorithm_ok {
        return bad(format!("has an unknown algorithm '{algorithm}'; use sha256"));
    }
    let expected = match algorithm {
        "sha256" => Some(64),
        "sha512" => Some(128),
        _ => None,
    };
    let lower_hex = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match expected {
        Some(n) if hex.len() != n || !lower_hex => bad(format!("must be {algorithm}: followed by {n} lower-case hex digits (found {})", hex.len())),
        None if hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) => bad("must have at least 32 hex digits".to_owned()),
        _ => Ok(digest.to_owned()),
    }
}

fn parse_tag(full: &str, tag: &str) -> Result<String, String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if tag.is_empty() {
        return Err(problem(format_args!("'{full}' ends its name with ':' but has no tag after it")));
    }
    if tag.len() > TAG_MAX_LEN {
        return Err(problem(format_args!("the tag is {} characters long; at most {TAG_MAX_LEN} are allowed", tag.len())));
    }
    if !tag.starts_with(word) {
        return Err(problem(format_args!("the tag '{tag}' must start with a letter, digit or '_'")));
    }
    if let Some(c) = tag.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(problem(format_args!("the tag '{tag}' contains '{c}'; a tag may only have letters, digits, '_', '.' and '-'")));
    }
    Ok(tag.to_owned())
}

fn parse_registry(full: &str, registry: &str) -> Result<String, String> {
    let bad = |what: &str| Err(problem(format_args!("in '{full}' the registry '{registry}' {what}")));
    let (host, port) = match registry.strip_prefix('[') {
        // An IPv6 address in brackets: "[::1]:5000".
        Some(v6) => match v6.split_once(']') {
            Some((addr, after)) if !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') => match after {
                "" => (None, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None => return bad("has text after the IPv6 address that is not a :port"),
                },
            },
            _ => return bad("is not a valid [IPv6] address"),
        },
        None => match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        },
    };
    if let Some(host) = host {
        let component_ok = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !c.starts_with('-') && !c.ends_with('-');
        if !host.split('.').all(component_ok) {
            return bad("is not a host name (letters, digits and '-' between dots)");
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad("has a port that is not a number");
    }
    Ok(registry.to_owned())
}

/// Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` separated by '/'.
fn check_repository(full: &str, repository: &str) -> Result<(), String> {
    if repository.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(problem(format_args!("'{full}' has upper-case letters in the repository name; use lower case")));
    }
    for component in repository.split('/') {
        if component.is_empty() {
            return Err(problem(format_args!("'{full}' has an empty path component (a double '/' or a '/' at an end)")));
        }
        if let Some(c) = component.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))) {
            return Err(problem(format_args!("'{full}' contains '{c}'; a repository name may only have a–z, 0–9, '.', '_', '-' and '/'")));
        }
        let alnum = |c: char| c.is_ascii_alphanumeric();
        let edges_ok = component.starts_with(alnum) && component.ends_with(alnum);
        let separators_ok = component.split(alnum).filter(|sep| !sep.is_empty()).all(|sep| matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-'));
        if !separators_ok || !edges_ok {
            return Err(problem(format_args!("the path component '{component}' must start and end with a letter or digit, with single '.', '_' or '__' or dashes in between")));
        }
    }
    Ok(())
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for ImageRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ImageRef {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ImageRef> for String {
    fn from(image: ImageRef) -> Self {
        image.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(s: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let i = ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (i.registry().map(str::to_owned), i.repository().to_owned(), i.tag().map(str::to_owned), i.digest().map(str::to_owned))
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn accepts_common_references() {
        assert_eq!(parts("nginx"), (None, "nginx".into(), None, None));
        assert_eq!(parts("nginx:1.27"), (None, "nginx".into(), some("1.27"), None));
        assert_eq!(parts("library/nginx"), (None, "library/nginx".into(), None, None));
        assert_eq!(parts("ghcr.io/a/b:v1"), (some("ghcr.io"), "a/b".into(), some("v1"), None));
        assert_eq!(parts("localhost:5000/x"), (some("localhost:5000"), "x".into(), None, None));
        assert_eq!(parts("localhost/x:latest"), (some("localhost"), "x".into(), some("latest"), None));
        assert_eq!(parts("registry.example.com:443/team/app:1.2"), (some("registry.example.com:443"), "team/app".into(), some("1.2"), None));
        assert_eq!(parts(&format!("nginx@{SHA}")), (None, "nginx".into(), None, some(SHA)));
        assert_eq!(parts(&format!("ghcr.io/a/b:v1@{SHA}")), (some("ghcr.io"), "a/b".into(), some("v1"), some(SHA)));
        assert_eq!(parts("[::1]:5000/app"), (some("[::1]:5000"), "app".into(), None, None));
    }

    #[test]
    fn accepts_the_separators_the_grammar_allows() {
        for ok in ["my_app", "my__app", "my.app", "my-app", "my---app", "a0/b-c/d.e_f", "Team_1"] {
            let result = ImageRef::parse(&ok.to_lowercase());
            assert!(result.is_ok(), "{ok}: {result:?}");
        }
        assert!(ImageRef::parse("app:V1_2.3-rc").is_ok(), "tags may have upper case");
    }

    #[test]
    fn rejects_bad_references_with_a_sentence() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("NGINX", "upper-case letters in the repository name"),
            ("Team/app", "upper-case"),
            ("abc:", "no tag after it"),
            (":tag", "no repository name"),
            ("a//b", "empty path component"),
            ("ghcr.io/", "empty path component"),
            ("app/", "empty path component"),
            ("nginx@sha256:abc", "64 lower-case hex digits"),
            ("nginx@md5", "algorithm:hex"),
            (&format!("nginx@{}", SHA.to_uppercase().replace("SHA", "sha")), "lower-case hex"),
            ("nginx:1.27 ", "a space"),
            ("my app", "a space"),
            ("nginx:-1", "must start with"),
            ("nginx:a+b", "contains '+'"),
            ("a__-b", "path component"),
            ("a___b", "path component"),
            ("-app", "path component"),
            ("app.", "path component"),
            ("my!app", "contains '!'"),
            ("bad_host.io/app", "is not a host name"),
            ("localhost:port/app", "port that is not a number"),
        ];
        for (input, expected) in cases {
            let err = ImageRef::parse(input).expect_err(input);
            assert!(err.starts_with("An image reference looks like"), "{input}: {err}");
            assert!(err.contains(expected), "{input}: expected '{expected}' in: {err}");
        }
        assert_eq!(
            ImageRef::parse("NGINX").unwrap_err(),
            "An image reference looks like registry.example.com/team/app:1.2 or nginx:1.27; \
             'NGINX' has upper-case letters in the repository name; use lower case."
        );
    }

    #[test]
    fn rejects_overlong_names_and_tags() {
        let long = format!("{}/{}", "a".repeat(200), "b".repeat(60));
        assert!(ImageRef::parse(&long).unwrap_err().contains("at most 255"));
        assert!(ImageRef::parse(&format!("a:{}", "t".repeat(128))).is_ok());
        assert!(ImageRef::parse(&format!("a:{}", "t".repeat(129))).unwrap_err().contains("at most 128"));
    }

    #[test]
    fn serde_uses_the_text_and_rejects_bad_text() {
        let image = ImageRef::parse("ghcr.io/a/b:v1").unwrap();
        assert_eq!(serde_json::to_string(&image).unwrap(), "\"ghcr.io/a/b:v1\"");
        assert_eq!(serde_json::from_str::<ImageRef>("\"ghcr.io/a/b:v1\"").unwrap(), image);
        assert!(serde_json::from_str::<ImageRef>("\"A B\"").is_err());
    }

    proptest! {
        #[test]
        fn display_round_trips(
            registry in proptest::option::of("[a-z][a-z0-9-]{0,8}[a-z0-9]\\.(io|com)(:[0-9]{2,5})?|localhost(:[0-9]{4})?"),
            // No '.' in the first component: without a registry it would be read as one.
            // Bounded so the whole name stays within the 255 characters a name may have.
            repo in "[a-z0-9]{1,20}((_|__|-{1,3})[a-z0-9]{1,20})?(/[a-z0-9]{1,20}(([.]|-{1,3})[a-z0-9]{1,20})?){0,3}",
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            digest in proptest::option::of("[a-f0-9]{64}"),
        ) {
            let text = format!(
                "{}{repo}{}{}",
                registry.as_ref().map(|r| format!("{r}/")).unwrap_or_default(),
                tag.as_ref().map(|t| format!(":{t}")).unwrap_or_default(),
                digest.as_ref().map(|d| format!("@sha256:{d}")).unwrap_or_default(),
            );
            let image = ImageRef::parse(&text).map_err(TestCaseError::fail)?;
            prop_assert_eq!(image.to_string(), text.clone());
            prop_assert_eq!(image.registry(), registry.as_deref());
            prop_assert_eq!(image.tag(), tag.as_deref());
            prop_assert_eq!(ImageRef::parse(&image.to_string()), Ok(image));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = ImageRef::parse(&s);
        }
    }
}
