//! Connecting to a cluster: reading an uploaded kubeconfig (choosing a context), turning it or a
//! URL + CA + token into the credentials Flotilla keeps (a single-context kubeconfig, sealed at
//! rest), building a kube-rs client from them, and "Test connection".
//!
//! A kubeconfig comes from someone's laptop, so anything that would make the portal read its own
//! files or run programs (file paths, exec plugins, auth providers) is refused.
use flotilla_domain::{Connection, ConnectionReport};
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("this is not a kubeconfig Flotilla can read: {0}")]
    Unreadable(String),
    #[error("the kubeconfig has no context named '{0}'")]
    NoContext(String),
    #[error("{0}")]
    Refused(String),
    #[error("the connection details are incomplete: {0}")]
    Incomplete(String),
    #[error("cannot build a client for {server}: {reason}")]
    Client { server: String, reason: String },
}

/// The contexts of a pasted kubeconfig (for the context picker), current context first.
pub fn contexts(yaml: &str) -> Result<Vec<String>, ConnectError> {
    let kc = parse(yaml)?;
    let mut names: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    if let Some(current) = &kc.current_context
        && let Some(i) = names.iter().position(|n| n == current)
    {
        let c = names.remove(i);
        names.insert(0, c);
    }
    if names.is_empty() {
        return Err(ConnectError::Unreadable("it has no contexts".into()));
    }
    Ok(names)
}

fn parse(yaml: &str) -> Result<Kubeconfig, ConnectError> {
    Kubeconfig::from_yaml(yaml).map_err(|e| ConnectError::Unreadable(first_line(&e.to_string())))
}

/// Credentials as kept (sealed) in the database: a kubeconfig with exactly one context, and
/// the API server address (shown in the portal; not secret).
#[derive(Clone)]
pub struct Credentials {
    pub kubeconfig: String,
    pub server: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.server)
    }
}

impl Credentials {
    pub fn from_connection(conn: &Connection) -> Result<Self, ConnectError> {
        match conn {
            Connection::Kubeconfig { yaml, context } => Self::from_kubeconfig(yaml, context),
            Connection::Token { server, ca_pem, token } => Self::from_token(server, ca_pem, token),
        }
    }

    /// The chosen context of `yaml`, with only its cluster and user, checked for safety.
    pub fn from_kubeconfig(yaml: &str, context: &str) -> Result<Self, ConnectError> {
        let kc = parse(yaml)?;
        let ctx = kc.contexts.iter().find(|c| c.name == context).ok_or_else(|| ConnectError::NoContext(context.to_owned()))?;
        let inner = ctx.context.as_ref().ok_or_else(|| ConnectError::Incomplete(format!("context '{context}' is empty")))?;
        let cluster =
            kc.clusters.iter().find(|c| c.name == inner.cluster).ok_or_else(|| ConnectError::Incomplete(format!("context '{context}' names cluster '{}', which is not in the file", inner.cluster)))?;
        let user_name = inner.user.clone().unwrap_or_default();
        let user = kc.auth_infos.iter().find(|u| u.name == user_name).ok_or_else(|| ConnectError::Incomplete(format!("context '{context}' names user '{user_name}', which is not in the file")))?;
        let c = cluster.cluster.as_ref().ok_or_else(|| ConnectError::Incomplete(format!("cluster '{}' is empty", cluster.name)))?;
        let server = c.server.clone().ok_or_else(|| ConnectError::Incomplete(format!("cluster '{}' has no server address", cluster.name)))?;
        if c.certificate_authority.is_some() {
            return Err(ConnectError::Refused(
                "the cluster's certificate-authority is a file path on your machine; embed it (certificate-authority-data), e.g. `kubectl config view --minify --flatten`".into(),
            ));
        }
        if c.proxy_url.is_some() {
            return Err(ConnectError::Refused("proxy-url is not supported; Flotilla connects to the API server directly".into()));
        }
        let u = user.auth_info.as_ref().ok_or_else(|| ConnectError::Incomplete(format!("user '{user_name}' is empty")))?;
        if u.exec.is_some() || u.auth_provider.is_some() {
            return Err(ConnectError::Refused(format!(
                "user '{user_name}' signs in through a plugin (exec/auth-provider), which would run a program on the portal's server; use a service-account token or a client certificate"
            )));
        }
        if u.token_file.is_some() || u.client_certificate.is_some() || u.client_key.is_some() {
            return Err(ConnectError::Refused(format!(
                "user '{user_name}' points at files on your machine; embed them (token, client-certificate-data, client-key-data), e.g. `kubectl config view --minify --flatten --raw`"
            )));
        }
        let has_token = u.token.is_some();
        let has_cert = u.client_certificate_data.is_some() && u.client_key_data.is_some();
        if !has_token && !has_cert {
            return Err(ConnectError::Incomplete(format!("user '{user_name}' has neither a token nor an embedded client certificate and key")));
        }
        let single = Kubeconfig {
            clusters: vec![cluster.clone()],
            auth_infos: vec![user.clone()],
            contexts: vec![ctx.clone()],
            current_context: Some(context.to_owned()),
            api_version: Some("v1".into()),
            kind: Some("Config".into()),
            ..Default::default()
        };
        let kubeconfig = serde_yaml::to_string(&single).map_err(|e| ConnectError::Unreadable(e.to_string()))?;
        Ok(Self { kubeconfig, server })
    }

    /// URL + CA certificate (PEM) + bearer token.
    pub fn from_token(server: &str, ca_pem: &str, token: &str) -> Result<Self, ConnectError> {
        let server = server.trim();
        if !server.starts_with("https://") {
            return Err(ConnectError::Incomplete("the API server address must start with https://".into()));
        }
        if token.trim().is_empty() {
            return Err(ConnectError::Incomplete("the bearer token is empty".into()));
        }
        let ca = ca_pem.trim();
        if !ca.is_empty() && !ca.contains("-----BEGIN CERTIFICATE-----") {
            return Err(ConnectError::Incomplete("the CA certificate must be PEM (-----BEGIN CERTIFICATE-----)".into()));
        }
        use base64::Engine;
        let mut cluster = serde_json::json!({ "server": server });
        if !ca.is_empty() {
            cluster["certificate-authority-data"] = base64::engine::general_purpose::STANDARD.encode(ca).into();
        }
        let doc = serde_json::json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "flotilla",
            "clusters": [{ "name": "flotilla", "cluster": cluster }],
            "users": [{ "name": "flotilla", "user": { "token": token.trim() } }],
            "contexts": [{ "name": "flotilla", "context": { "cluster": "flotilla", "user": "flotilla" } }],
        });
        let yaml = serde_yaml::to_string(&doc).map_err(|e| ConnectError::Unreadable(e.to_string()))?;
        Self::from_kubeconfig(&yaml, "flotilla")
    }

    /// Identifies these credentials (a SHA-256 of the kubeconfig) without revealing them: a
    /// pooled client is reused while its cluster's credentials keep this fingerprint.
    pub fn fingerprint(&self) -> String {
        crate::opaque_tokens::digest(&self.kubeconfig)
    }

    /// A kube-rs client (build it through [`crate::ClusterConnections`]); `timeout` bounds connecting (watches keep their own long read timeout).
    pub async fn client(&self, timeout: Duration) -> Result<Client, ConnectError> {
        let kc = parse(&self.kubeconfig)?;
        let context = kc.current_context.clone();
        let err = |reason: String| ConnectError::Client { server: self.server.clone(), reason };
        let mut config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions { context, ..Default::default() }).await.map_err(|e| err(first_line(&e.to_string())))?;
        config.connect_timeout = Some(timeout);
        Client::try_from(config).map_err(|e| err(first_line(&e.to_string())))
    }
}

/// What Flotilla must be allowed to do on a cluster (one list, shared with the simulator's
/// `flotilla` role): see [`flotilla_domain::fleet::REQUIRED_PERMISSIONS`].
pub use flotilla_domain::fleet::REQUIRED_PERMISSIONS as REQUIRED;

/// The ClusterRole that grants exactly [`REQUIRED`] (docs/fleet.md shows it; a test keeps
/// the two equal), one rule per (group, resource).
pub fn cluster_role_yaml() -> String {
    let mut rules: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (verb, group, resource) in REQUIRED {
        match rules.iter_mut().find(|(g, r, _)| g == group && r == resource) {
            Some((_, _, verbs)) => verbs.push(verb),
            None => rules.push((group, resource, vec![verb])),
        }
    }
    let mut out = String::from("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: flotilla\nrules:\n");
    for (group, resource, verbs) in rules {
        out.push_str(&format!("  - apiGroups: [\"{group}\"]\n    resources: [\"{resource}\"]\n    verbs: [{}]\n", verbs.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")));
    }
    out
}

/// Why Flotilla will not register these credentials, when the test could tell: the
/// permissions they lack, and how to grant them. An unreachable cluster cannot be asked, so
/// it is registered and its health says what is wrong once it answers.
pub fn refusal(report: &ConnectionReport) -> Option<String> {
    (!report.missing.is_empty()).then(|| {
        format!(
            "These credentials may not do what Flotilla needs on {}: {}. Bind them to the flotilla ClusterRole in docs/fleet.md (kubectl apply it, then kubectl create clusterrolebinding flotilla --clusterrole=flotilla for the token's ServiceAccount or user), and register again.",
            report.server,
            report.missing.join(", ")
        )
    })
}

/// "Test connection": version, node count, metrics.k8s.io, and every missing permission named.
pub async fn test_connection(creds: &Credentials, timeout: Duration) -> ConnectionReport {
    let mut report = ConnectionReport { server: creds.server.clone(), server_version: None, nodes: None, metrics: false, missing: vec![], error: None };
    let client = match creds.client(timeout).await {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    match tokio::time::timeout(timeout, client.apiserver_version()).await {
        Ok(Ok(v)) => report.server_version = Some(v.git_version),
        Ok(Err(e)) => {
            report.error = Some(describe_kube_error(&creds.server, &e));
            return report;
        }
        Err(_) => {
            report.error = Some(format!("{} did not answer within {} s", creds.server, timeout.as_secs()));
            return report;
        }
    }
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    for (verb, group, resource) in REQUIRED {
        let (resource_name, subresource) = match resource.split_once('/') {
            Some((r, sub)) => (r, Some(sub.to_owned())),
            None => (*resource, None),
        };
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes { verb: Some((*verb).into()), group: Some((*group).into()), resource: Some(resource_name.into()), subresource, ..Default::default() }),
                ..Default::default()
            },
            ..Default::default()
        };
        match tokio::time::timeout(timeout, reviews.create(&PostParams::default(), &review)).await {
            Ok(Ok(r)) if r.status.as_ref().is_some_and(|s| s.allowed) => {}
            Ok(Ok(_)) => report.missing.push(permission_words(verb, group, resource)),
            Ok(Err(e)) => {
                report.error = Some(format!("could not check permissions: {}", describe_kube_error(&creds.server, &e)));
                break;
            }
            Err(_) => {
                report.error = Some("permission checks timed out".into());
                break;
            }
        }
    }
    let nodes: Api<Node> = Api::all(client.clone());
    if let Ok(Ok(list)) = tokio::time::timeout(timeout, nodes.list_metadata(&ListParams::default())).await {
        report.nodes = Some(list.items.len() as u32);
    }
    report.metrics = metrics_served(&client, timeout).await;
    report
}

/// Whether GET /apis/metrics.k8s.io/v1beta1/nodes answers.
pub async fn metrics_served(client: &Client, timeout: Duration) -> bool {
    let req = http::Request::get("/apis/metrics.k8s.io/v1beta1/nodes?limit=1").body(Vec::new()).expect("static request");
    matches!(tokio::time::timeout(timeout, client.request_text(req)).await, Ok(Ok(_)))
}

fn permission_words(verb: &str, group: &str, resource: &str) -> String {
    if group.is_empty() { format!("{verb} {resource}") } else { format!("{verb} {resource} ({group})") }
}

/// A kube error in words a person can act on.
pub fn describe_kube_error(server: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 401 => format!("{server} refused the credentials (401 Unauthorized): the token or certificate is wrong or expired"),
        kube::Error::Api(s) if s.code == 403 => format!("{server} forbids this: {}", s.message),
        kube::Error::Api(s) => format!("{server} answered {} {}: {}", s.code, s.reason, s.message),
        other => {
            let chain = crate::errors::causes(other);
            let tls = chain.iter().find(|c| {
                let c = c.to_lowercase();
                c.contains("certificate") || c.contains("unknownissuer") || c.contains("tls") || c.contains("handshake")
            });
            match tls {
                Some(cause) => format!("cannot verify {server}'s TLS certificate with the CA given: {}", first_line(cause)),
                // The innermost cause says most (connection refused, timed out, no route).
                None => format!("cannot reach {server}: {}", first_line(&chain.join(": "))),
            }
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KC: &str = r#"
apiVersion: v1
kind: Config
current-context: b
clusters:
- name: ca
  cluster: { server: "https://127.0.0.1:6443", certificate-authority-data: "Zm9v" }
- name: cb
  cluster: { server: "https://127.0.0.1:7443", certificate-authority: /home/me/ca.crt }
users:
- name: ua
  user: { token: secret-token-a }
- name: ub
  user: { exec: { command: aws, apiVersion: client.authentication.k8s.io/v1beta1 } }
contexts:
- name: a
  context: { cluster: ca, user: ua }
- name: b
  context: { cluster: cb, user: ub }
- name: c
  context: { cluster: ca, user: ub }
"#;

    #[test]
    fn the_documented_cluster_role_is_the_one_flotilla_checks() {
        let docs = include_str!("../../../docs/fleet.md");
        let role = cluster_role_yaml();
        assert!(docs.contains(&role), "docs/fleet.md must show exactly this ClusterRole:\n{role}");
        for (verb, group, resource) in REQUIRED {
            let rule = format!("  - apiGroups: [\"{group}\"]\n    resources: [\"{resource}\"]\n");
            let at = role.find(&rule).unwrap_or_else(|| panic!("no rule for {resource}"));
            let verbs = role[at + rule.len()..].lines().next().unwrap_or_default();
            assert!(verbs.contains(&format!("\"{verb}\"")), "{verb} {resource}: {verbs}");
        }
    }

    #[test]
    fn contexts_are_listed_current_first() {
        assert_eq!(contexts(KC).unwrap(), vec!["b", "a", "c"]);
        assert!(contexts("not: [a kubeconfig").is_err());
    }

    #[test]
    fn the_chosen_context_is_kept_alone() {
        let c = Credentials::from_kubeconfig(KC, "a").unwrap();
        assert_eq!(c.server, "https://127.0.0.1:6443");
        assert!(c.kubeconfig.contains("secret-token-a"));
        assert!(!c.kubeconfig.contains("aws") && !c.kubeconfig.contains("7443"));
        assert!(!format!("{c:?}").contains("secret-token-a"));
    }

    #[test]
    fn files_and_plugins_on_the_uploaders_machine_are_refused() {
        let b = Credentials::from_kubeconfig(KC, "b").unwrap_err().to_string();
        assert!(b.contains("file path"), "{b}");
        let c = Credentials::from_kubeconfig(KC, "c").unwrap_err().to_string();
        assert!(c.contains("plugin"), "{c}");
        assert!(matches!(Credentials::from_kubeconfig(KC, "zz"), Err(ConnectError::NoContext(_))));
    }

    #[test]
    fn url_and_token_become_a_one_context_kubeconfig() {
        let c = Credentials::from_token("https://10.0.0.1:6443", "", "abc").unwrap();
        assert_eq!(c.server, "https://10.0.0.1:6443");
        assert!(Credentials::from_token("http://x", "", "abc").is_err());
        assert!(Credentials::from_token("https://x", "nope", "abc").is_err());
        assert!(Credentials::from_token("https://x", "", " ").is_err());
    }
}
