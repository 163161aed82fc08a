//! Local links with query strings: values percent-encoded one way, on the server (redirects)
//! and in the browser (the login and audit-export links) alike.

/// Percent-encodes a query value: everything but RFC 3986's unreserved characters.
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(super::query_value("/costs?range=7d&x=a b"), "%2Fcosts%3Frange%3D7d%26x%3Da%20b");
        assert_eq!(super::query_value("team-a_1.~"), "team-a_1.~");
        assert_eq!(super::query_value("ä"), "%C3%A4");
    }
}
