//! Error texts from a whole error chain: the cause that explains a failure (a TLS problem, a
//! refused connection) is often several `source()`s below the top-level message.

/// Every message of an error's chain, outermost first, without repeats (wrappers often quote
/// their cause's text).
pub fn causes(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !out.iter().any(|seen| seen.contains(&text)) {
            out.push(text);
        }
        next = err.source();
    }
    out
}

/// The chain in one line: `outer: cause: root cause`.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    causes(e).join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Outer(#[source] Inner);
    #[derive(Debug, thiserror::Error)]
    #[error("invalid peer certificate: UnknownIssuer")]
    struct Inner;
    #[derive(Debug, thiserror::Error)]
    #[error("request failed: invalid peer certificate: UnknownIssuer")]
    struct Quoting(#[source] Inner);

    #[test]
    fn the_whole_chain_is_read_and_quoted_causes_are_not_repeated() {
        assert_eq!(causes(&Outer(Inner)), vec!["client error (Connect)", "invalid peer certificate: UnknownIssuer"]);
        assert_eq!(chain(&Outer(Inner)), "client error (Connect): invalid peer certificate: UnknownIssuer");
        assert_eq!(causes(&Quoting(Inner)), vec!["request failed: invalid peer certificate: UnknownIssuer"]);
    }
}
