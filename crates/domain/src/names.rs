//! Kubernetes object names, parsed once so that the rest of the code can trust them.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid name, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name cannot be empty")]
    Empty,
    #[error("a name can be at most 63 characters long (this one has {0})")]
    TooLong(usize),
    #[error("a name may only contain lowercase letters a–z, digits 0–9 and '-' (found '{0}')")]
    BadCharacter(char),
    #[error("a name must start and end with a lowercase letter or digit")]
    BadEdge,
}

/// A DNS-1123 label (RFC 1123): what Kubernetes requires for namespaces, services
/// and most workload names — at most 63 characters of `[a-z0-9-]`, starting and
/// ending with an alphanumeric character.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Dns1123Label(String);

impl Dns1123Label {
    pub const MAX_LEN: usize = 63;

    pub fn parse(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let len = s.chars().count();
        if len > Self::MAX_LEN {
            return Err(NameError::TooLong(len));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            return Err(NameError::BadCharacter(c));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(NameError::BadEdge);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Dns1123Label {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Dns1123Label> for String {
    fn from(l: Dns1123Label) -> Self {
        l.0
    }
}

impl fmt::Display for Dns1123Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_typical_names() {
        for ok in ["a", "team-a", "tokyo-prod", "x1", "0abc", &"a".repeat(63)] {
            assert_eq!(Dns1123Label::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_names_with_a_reason() {
        assert_eq!(Dns1123Label::parse(""), Err(NameError::Empty));
        assert_eq!(Dns1123Label::parse(&"a".repeat(64)), Err(NameError::TooLong(64)));
        assert_eq!(Dns1123Label::parse("Team"), Err(NameError::BadCharacter('T')));
        assert_eq!(Dns1123Label::parse("team_a"), Err(NameError::BadCharacter('_')));
        assert_eq!(Dns1123Label::parse("team.a"), Err(NameError::BadCharacter('.')));
        assert_eq!(Dns1123Label::parse("-team"), Err(NameError::BadEdge));
        assert_eq!(Dns1123Label::parse("team-"), Err(NameError::BadEdge));
        assert!(Dns1123Label::parse("Team").unwrap_err().to_string().contains("lowercase"));
    }

    #[test]
    fn deserialising_rejects_bad_names() {
        let ok: Dns1123Label = serde_json::from_str("\"ok-name\"").unwrap();
        assert_eq!(ok.as_str(), "ok-name");
        let err = serde_json::from_str::<Dns1123Label>("\"Bad Name\"").unwrap_err();
        assert!(err.to_string().contains("lowercase"), "{err}");
    }

    proptest! {
        #[test]
        fn every_generated_label_parses(s in "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") {
            prop_assert!(Dns1123Label::parse(&s).is_ok());
        }

        #[test]
        fn anything_with_an_uppercase_letter_is_rejected(prefix in "[a-z]{0,5}", c in "[A-Z]", suffix in "[a-z]{0,5}") {
            let s = format!("{prefix}{c}{suffix}");
            prop_assert!(Dns1123Label::parse(&s).is_err());
        }
    }
}
