//! Who is signed in, roles as the Admin page edits them, group mappings, API tokens and
//! audit lines: the DTOs of sign-in and access control.
use crate::access::{Kind, Permission, Scope, Verb};
use crate::names::Dns1123Label;
use serde::{Deserialize, Serialize};

/// The signed-in person as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Me {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    /// Human summary of what they hold: "Administrator", "Developer in team-a", …
    pub roles: Vec<String>,
    /// May open the Admin page (read users, roles, the audit log).
    pub is_admin: bool,
}

/// A role with its permissions, built-in (read-only) or custom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RoleDef {
    pub key: String,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<Permission>,
}

impl RoleDef {
    /// The scope granted for (kind, verb), if any — one cell of the permission matrix.
    pub fn scope_for(&self, kind: Kind, verb: Verb) -> Option<Scope> {
        self.permissions.iter().filter(|p| p.kind == kind && p.verb == verb).map(|p| p.scope).max()
    }

    /// Sets one cell: `None` removes the grant.
    pub fn set(&mut self, kind: Kind, verb: Verb, scope: Option<Scope>) {
        self.permissions.retain(|p| !(p.kind == kind && p.verb == verb));
        if let Some(scope) = scope {
            self.permissions.push(Permission { kind, verb, scope });
            self.permissions.sort();
        }
    }
}

/// Checks a custom role's key: a DNS-1123 label that does not collide with a built-in role.
pub fn parse_role_key(key: &str) -> Result<String, String> {
    let label = Dns1123Label::parse(key).map_err(|e| format!("Role key: {e}"))?;
    if crate::access::BuiltinRole::from_key(label.as_str()).is_some() {
        return Err(format!("\"{label}\" is a built-in role; choose another key."));
    }
    Ok(label.to_string())
}

/// An identity-provider group mapped to a role, portal-wide (no project) or in one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GroupMapping {
    pub id: i64,
    pub group: String,
    pub role: String,
    pub project: Option<String>,
}

/// A personal API token as listed (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    /// The first characters, so a person can tell tokens apart.
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked: bool,
}

/// A freshly created token: the secret is shown once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreatedApiToken {
    pub info: ApiTokenInfo,
    pub secret: String,
}

/// One audit line as the Admin page and the CSV export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditLine {
    /// Its place in the log (newer entries have larger ids): the cursor for the next page.
    #[serde(default)]
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub cluster: String,
    pub outcome: String,
    pub source_ip: String,
    pub detail: String,
}

/// Filters of the audit page; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub limit: u64,
    /// Only entries older than this id (the last id of the previous page): pages of `limit`.
    #[serde(default)]
    pub before: Option<i64>,
}

/// Writes audit lines as CSV (RFC 4180 quoting), header first.
pub fn audit_csv(lines: &[AuditLine]) -> String {
    fn field(out: &mut String, value: &str) {
        // Cells starting with = + - @ would run as formulas in spreadsheets: prefix a quote.
        let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
        if value.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&value);
        }
    }
    let mut out = String::from("at,actor,action,target,cluster,outcome,source_ip,detail\r\n");
    for l in lines {
        // ISO 8601 in UTC: what spreadsheets and log tools read.
        let at = l.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for (i, v) in [&at, &l.actor, &l.action, &l.target, &l.cluster, &l.outcome, &l.source_ip, &l.detail].iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, v);
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_quotes_and_defuses_formulas() {
        let line = AuditLine {
            id: 1,
            at: chrono::DateTime::from_timestamp(1_795_428_000, 0).unwrap(),
            actor: "bob@example.test".into(),
            action: "project.update".into(),
            target: "team-a".into(),
            cluster: String::new(),
            outcome: "denied".into(),
            source_ip: "127.0.0.1".into(),
            detail: "said \"hi\", then =SUM(A1)".into(),
        };
        let mut evil = line.clone();
        evil.detail = "=HYPERLINK(\"x\")".into();
        let csv = audit_csv(&[line, evil]);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows[0], "at,actor,action,target,cluster,outcome,source_ip,detail");
        assert!(rows[1].starts_with("2026-11-23T10:00:00Z,bob@"), "{}", rows[1]);
        assert!(rows[1].ends_with(",denied,127.0.0.1,\"said \"\"hi\"\", then =SUM(A1)\""), "{}", rows[1]);
        assert!(rows[2].ends_with(",\"'=HYPERLINK(\"\"x\"\")\""), "{}", rows[2]);
    }

    #[test]
    fn role_cells_can_be_set_and_cleared() {
        let mut role = RoleDef { key: "auditor".into(), name: "Auditor".into(), builtin: false, permissions: vec![] };
        role.set(Kind::AuditLog, Verb::Read, Some(Scope::All));
        assert_eq!(role.scope_for(Kind::AuditLog, Verb::Read), Some(Scope::All));
        role.set(Kind::AuditLog, Verb::Read, Some(Scope::Own));
        assert_eq!(role.permissions.len(), 1);
        role.set(Kind::AuditLog, Verb::Read, None);
        assert_eq!(role.scope_for(Kind::AuditLog, Verb::Read), None);
    }

    #[test]
    fn custom_role_keys_are_labels_and_not_builtin() {
        assert_eq!(parse_role_key("auditor"), Ok("auditor".into()));
        assert!(parse_role_key("developer").unwrap_err().contains("built-in"));
        assert!(parse_role_key("Not OK").is_err());
    }
}
