//! The workload form as a person fills it in, and its validation into a `WorkloadSpec`
//! the deployer can trust: every bad field is reported at once, in words.
use crate::placement::Demand;
use crate::{Bytes, CpuMillis, Dns1123Label, ImageRef, NameError};
use serde::{Deserialize, Serialize};

/// One environment variable of the container.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A container port; `expose` asks for a Service in front of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PortSpec {
    pub port: u16,
    /// "TCP" or "UDP".
    pub protocol: String,
    pub expose: bool,
}

/// Where the replicas go: clusters the person chose, or an automatic choice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlacementRule {
    /// The full replica count on each of these cluster ids.
    Clusters(Vec<i64>),
    /// All replicas on the one cluster with the most room left afterwards.
    #[default]
    LeastLoaded,
    /// Replicas divided over clusters in proportion to how many each can take.
    Spread,
    /// All replicas on the cluster that fits where they cost least.
    Cheapest,
}

/// Exactly what the browser form sends: text, so that nothing typed is lost on a round trip.
/// A field left out of a REST body is empty (validation says what is missing, in words).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct WorkloadForm {
    /// The project's name (the REST API takes it from the path instead).
    #[serde(default)]
    pub project: String,
    pub name: String,
    pub image: String,
    /// Words split on white space; quotes ("a b" or 'a b') keep spaces, `\` escapes one character.
    pub command: String,
    pub args: String,
    pub env: Vec<EnvVar>,
    pub ports: Vec<PortSpec>,
    pub replicas: String,
    pub cpu_request: String,
    /// Empty = no limit.
    pub cpu_limit: String,
    pub memory_request: String,
    /// Empty = no limit.
    pub memory_limit: String,
    /// Empty = no GPU.
    pub gpu: String,
    pub placement: PlacementRule,
}

/// An amount of compute: millicores, bytes of memory, whole GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Resources {
    pub cpu_m: u64,
    pub mem_b: u64,
    pub gpu: u32,
}

/// A validated workload, ready to be turned into Kubernetes objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkloadSpec {
    pub project: String,
    pub name: Dns1123Label,
    /// The canonical text of the parsed `ImageRef`.
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// Rows left completely blank in the form are dropped.
    pub env: Vec<EnvVar>,
    /// Protocols upper-cased ("TCP", "UDP").
    pub ports: Vec<PortSpec>,
    pub replicas: u32,
    pub requests: Resources,
    pub cpu_limit_m: Option<u64>,
    pub mem_limit_b: Option<u64>,
    /// `Clusters` ids sorted, without repeats.
    pub placement: PlacementRule,
}

impl WorkloadSpec {
    /// What placement has to find room for.
    pub fn demand(&self) -> Demand {
        Demand { per_replica: self.requests, replicas: self.replicas }
    }
}

/// One problem with one form field; `field` names it as the form does: "image", "cpu_request",
/// "env.2.name", "ports.0.port".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub const MAX_REPLICAS: u32 = 100;
pub const MAX_GPU: u32 = 8;

/// Check the whole form; on failure every bad field has one error, in form order.
pub fn validate(form: &WorkloadForm) -> Result<WorkloadSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let project = form.project.trim();
    let project = note(&mut errors, "project", if project.is_empty() { Err("choose a project".to_owned()) } else { Ok(project.to_owned()) });
    let name = note(&mut errors, "name", Dns1123Label::parse(form.name.trim()).map_err(name_message));
    let image = note(&mut errors, "image", ImageRef::parse(form.image.trim()).map(|i| i.to_string()));
    let command = note(&mut errors, "command", split_words(&form.command));
    let args = note(&mut errors, "args", split_words(&form.args));
    let env = env_vars(&form.env, &mut errors);
    let ports = ports(&form.ports, &mut errors);
    let replicas = note(&mut errors, "replicas", whole_number(&form.replicas, 1, MAX_REPLICAS, "replicas", None));
    let cpu_request = note(&mut errors, "cpu_request", required(&form.cpu_request, "CPU", "250m (a quarter of a core)", CpuMillis::parse, |c| c.0));
    let cpu_limit = note(&mut errors, "cpu_limit", limit(&form.cpu_limit, cpu_request, "CPU", CpuMillis::parse, |c| c.0, |m| CpuMillis(m).to_string()));
    let memory_request = note(&mut errors, "memory_request", required(&form.memory_request, "memory", "256Mi", Bytes::parse, |b| b.0));
    let memory_limit = note(&mut errors, "memory_limit", limit(&form.memory_limit, memory_request, "memory", Bytes::parse, |b| b.0, |b| Bytes(b).to_string()));
    let gpu = note(&mut errors, "gpu", whole_number(&form.gpu, 0, MAX_GPU, "GPUs", Some(0)));
    let placement = note(&mut errors, "placement", placement_rule(&form.placement));

    match (project, name, image, command, args, replicas, cpu_request, memory_request, cpu_limit, memory_limit, gpu, placement) {
        (Some(project), Some(name), Some(image), Some(command), Some(args), Some(replicas), Some(cpu_m), Some(mem_b), Some(cpu_limit_m), Some(mem_limit_b), Some(gpu), Some(placement))
            if errors.is_empty() =>
        {
            Ok(WorkloadSpec { project, name, image, command, args, env, ports, replicas, requests: Resources { cpu_m, mem_b, gpu }, cpu_limit_m, mem_limit_b, placement })
        }
        _ => Err(errors),
    }
}

fn note<T>(errors: &mut Vec<FieldError>, field: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| errors.push(FieldError { field: field.to_owned(), message })).ok()
}

fn name_message(e: NameError) -> String {
    match e {
        NameError::Empty => "give the workload a name, e.g. web or api-v2".to_owned(),
        NameError::TooLong(_) => format!("{e} (a DNS-1123 label)"),
        other => other.to_string(),
    }
}

fn whole_number(text: &str, min: u32, max: u32, what: &str, if_empty: Option<u32>) -> Result<u32, String> {
    let text = text.trim();
    let range = format!("{what} must be a whole number from {min} to {max}");
    match (text, if_empty) {
        ("", Some(default)) => Ok(default),
        ("", None) => Err(range),
        _ => match text.parse::<u64>() {
            Ok(n) if (min as u64..=max as u64).contains(&n) => Ok(n as u32),
            Ok(n) => Err(format!("{range} ({n} is out of range)")),
            Err(_) => Err(format!("{range} ('{text}' is not one)")),
        },
    }
}

fn required<Q>(text: &str, what: &str, example: &str, parse: fn(&str) -> Result<Q, crate::QuantityError>, value: fn(Q) -> u64) -> Result<u64, String> {
    if text.trim().is_empty() {
        return Err(format!("a {what} request is required, e.g. {example}"));
    }
    match parse(text).map(value) {
        Ok(0) => Err(format!("the {what} request must be more than zero, e.g. {example}")),
        Ok(v) => Ok(v),
        Err(e) => Err(e.to_string()),
    }
}

fn limit<Q>(text: &str, request: Option<u64>, what: &str, parse: fn(&str) -> Result<Q, crate::QuantityError>, value: fn(Q) -> u64, show: fn(u64) -> String) -> Result<Option<u64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let limit = parse(text).map(value).map_err(|e| e.to_string())?;
    match request {
        Some(request) if limit < request => Err(format!("the {what} limit ({}) is below the request ({})", show(limit), show(request))),
        _ => Ok(Some(limit)),
    }
}

fn placement_rule(rule: &PlacementRule) -> Result<PlacementRule, String> {
    match rule {
        PlacementRule::Clusters(ids) if ids.is_empty() => Err("choose at least one cluster".to_owned()),
        PlacementRule::Clusters(ids) => {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            Ok(PlacementRule::Clusters(ids))
        }
        other => Ok(other.clone()),
    }
}

fn env_vars(rows: &[EnvVar], errors: &mut Vec<FieldError>) -> Vec<EnvVar> {
    let mut kept: Vec<(usize, &EnvVar)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if row.name.is_empty() && row.value.is_empty() {
            continue;
        }
        let name = &row.name;
        let message = if name.is_empty() {
            Some("give the variable a name, or clear its value to drop the row".to_owned())
        } else if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Some(format!("'{name}' is not a variable name: use letters, digits and '_', not starting with a digit (e.g. LOG_LEVEL)"))
        } else {
            kept.iter().find(|(_, e)| e.name == *name).map(|(j, _)| format!("{name} is already set in row {}", j + 1))
        };
        match message {
            Some(message) => errors.push(FieldError { field: format!("env.{i}.name"), message }),
            None => kept.push((i, row)),
        }
    }
    kept.into_iter().map(|(_, e)| e.clone()).collect()
}

fn ports(rows: &[PortSpec], errors: &mut Vec<FieldError>) -> Vec<PortSpec> {
    let mut kept: Vec<PortSpec> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let protocol = row.protocol.trim().to_ascii_uppercase();
        if row.port == 0 {
            errors.push(FieldError { field: format!("ports.{i}.port"), message: "a port must be from 1 to 65535".to_owned() });
        } else if protocol != "TCP" && protocol != "UDP" {
            let message = format!("choose TCP or UDP (not '{}')", row.protocol);
            errors.push(FieldError { field: format!("ports.{i}.protocol"), message });
        } else if kept.iter().any(|p| p.port == row.port && p.protocol == protocol) {
            let message = format!("port {}/{protocol} is listed twice", row.port);
            errors.push(FieldError { field: format!("ports.{i}.port"), message });
        } else {
            kept.push(PortSpec { port: row.port, protocol, expose: row.expose });
        }
    }
    kept
}

/// Split a command line into words the way a shell would, without expanding anything.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => match chars.next() {
                Some(n @ ('"' | '\\')) => word.push(n),
                Some(n) => word.extend(['\\', n]),
                None => word.push('\\'),
            },
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.push(chars.next().unwrap_or('\\'));
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("a {q} quote is not closed: close it, or put \\ before it to keep it as a character"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A plain-words reading of a quantity, shown next to its field: "250m = a quarter of a core",
/// "512Mi = 512 MiB". `None` for other fields and for text that does not parse.
pub fn quantity_hint(field: &str, text: &str) -> Option<String> {
    let text = text.trim();
    let meaning = match field {
        "cpu_request" | "cpu_limit" => cpu_words(CpuMillis::parse(text).ok()?.0),
        "memory_request" | "memory_limit" => {
            let bytes = Bytes::parse(text).ok()?.0;
            let bare = text.ends_with(|c: char| c.is_ascii_digit() || c == '.');
            match bytes {
                b if bare && b < 1 << 20 => format!("{} (a number without a unit is bytes; did you mean {text}Mi?)", memory_words(b)),
                b => memory_words(b),
            }
        }
        _ => return None,
    };
    Some(format!("{text} = {meaning}"))
}

fn count_word(n: u64) -> String {
    const WORDS: [&str; 13] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    WORDS.get(n as usize).map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

fn cpu_words(m: u64) -> String {
    let (whole, frac) = (m / 1000, m % 1000);
    let part = match frac {
        250 => Some("a quarter"),
        500 => Some("a half"),
        750 => Some("three quarters"),
        _ => None,
    };
    let decimal = || format!("{whole}.{frac:03}").trim_end_matches('0').to_owned();
    match (whole, frac, part) {
        (0, 0, _) => "no CPU at all".to_owned(),
        (0, 500, _) => "half a core".to_owned(),
        (0, 100, _) => "a tenth of a core".to_owned(),
        (0, 200, _) => "a fifth of a core".to_owned(),
        (0, _, Some(part)) => format!("{part} of a core"),
        (0, _, None) => format!("{} of a core", decimal()),
        (1, 0, _) => "one core".to_owned(),
        (_, 0, _) => format!("{} cores", count_word(whole)),
        (_, _, Some(part)) => format!("{} and {part} cores", count_word(whole)),
        _ => format!("{} cores", decimal()),
    }
}

pub(crate) fn memory_words(b: u64) -> String {
    const UNITS: [(&str, u64); 6] = [("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    let Some(&(unit, size)) = UNITS.iter().find(|(_, size)| b >= *size) else {
        return if b == 1 { "1 byte".to_owned() } else { format!("{b} bytes") };
    };
    let hundredths = b as u128 * 100 / size as u128;
    let exact = (b as u128 * 100).is_multiple_of(size as u128);
    let number = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    let number = number.trim_end_matches('0').trim_end_matches('.');
    format!("{}{number} {unit}", if exact { "" } else { "about " })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> WorkloadForm {
        WorkloadForm {
            project: "payments".into(),
            name: "api".into(),
            image: "ghcr.io/acme/api:1.4".into(),
            command: "sh -c 'exec api --port 8080'".into(),
            args: String::new(),
            env: vec![EnvVar { name: "LOG_LEVEL".into(), value: "info".into() }],
            ports: vec![PortSpec { port: 8080, protocol: "tcp".into(), expose: true }],
            replicas: "3".into(),
            cpu_request: "250m".into(),
            cpu_limit: "1".into(),
            memory_request: "256Mi".into(),
            memory_limit: String::new(),
            gpu: String::new(),
            placement: PlacementRule::Clusters(vec![3, 1, 3]),
        }
    }

    /// The one error of a form changed by `change`, as (field, message).
    fn error_of(change: impl FnOnce(&mut WorkloadForm)) -> (String, String) {
        let mut f = form();
        change(&mut f);
        let errors = validate(&f).expect_err("the form should be refused");
        assert_eq!(errors.len(), 1, "{errors:?}");
        (errors[0].field.clone(), errors[0].message.clone())
    }

    fn assert_error(change: impl FnOnce(&mut WorkloadForm), field: &str, words: &str) {
        let (f, message) = error_of(change);
        assert_eq!(f, field, "{message}");
        assert!(message.contains(words), "expected '{words}' in: {message}");
    }

    #[test]
    fn a_good_form_becomes_a_spec() {
        let spec = validate(&form()).unwrap();
        assert_eq!(spec.name.as_str(), "api");
        assert_eq!(spec.image, "ghcr.io/acme/api:1.4");
        assert_eq!(spec.command, ["sh", "-c", "exec api --port 8080"]);
        assert!(spec.args.is_empty());
        assert_eq!(spec.ports, [PortSpec { port: 8080, protocol: "TCP".into(), expose: true }]);
        assert_eq!(spec.replicas, 3);
        assert_eq!(spec.requests, Resources { cpu_m: 250, mem_b: 256 << 20, gpu: 0 });
        assert_eq!((spec.cpu_limit_m, spec.mem_limit_b), (Some(1000), None));
        assert_eq!(spec.placement, PlacementRule::Clusters(vec![1, 3]));
        assert_eq!(spec.demand(), Demand { per_replica: spec.requests, replicas: 3 });
    }

    #[test]
    fn names_projects_and_images() {
        assert_error(|f| f.name = "x".repeat(64), "name", "at most 63");
        assert_error(|f| f.name = "My_App".into(), "name", "lowercase");
        assert_error(|f| f.name = String::new(), "name", "give the workload a name");
        assert_error(|f| f.project = "  ".into(), "project", "choose a project");
        assert_error(|f| f.image = "NGINX".into(), "image", "upper-case letters");
        assert_error(|f| f.image = String::new(), "image", "empty");
    }

    #[test]
    fn replicas_and_gpus_are_whole_numbers_in_range() {
        for bad in ["0", "101", "abc", "", "2.5", "-1"] {
            assert_error(|f| f.replicas = bad.into(), "replicas", "from 1 to 100");
        }
        for ok in ["1", "100", " 7 "] {
            let mut f = form();
            f.replicas = ok.into();
            assert!(validate(&f).is_ok(), "{ok}");
        }
        for bad in ["9", "x", "1.5"] {
            assert_error(|f| f.gpu = bad.into(), "gpu", "from 0 to 8");
        }
        let mut f = form();
        f.gpu = "8".into();
        assert_eq!(validate(&f).unwrap().requests.gpu, 8);
    }

    #[test]
    fn requests_are_required_and_more_than_zero() {
        assert_error(|f| f.cpu_request = String::new(), "cpu_request", "CPU request is required");
        assert_error(|f| f.cpu_request = "0".into(), "cpu_request", "more than zero");
        assert_error(|f| f.cpu_request = "2Gi".into(), "cpu_request", "unknown unit");
        assert_error(|f| f.memory_request = String::new(), "memory_request", "memory request is required");
        assert_error(|f| f.memory_request = "0Mi".into(), "memory_request", "more than zero");
        assert_error(|f| f.memory_request = "lots".into(), "memory_request", "not a number");
    }

    #[test]
    fn a_limit_may_not_be_below_its_request() {
        assert_eq!(error_of(|f| f.cpu_limit = "100m".into()).1, "the CPU limit (100m) is below the request (250m)");
        assert_eq!(error_of(|f| f.memory_limit = "128Mi".into()).1, "the memory limit (128Mi) is below the request (256Mi)");
        assert_error(|f| f.cpu_limit = "a lot".into(), "cpu_limit", "not a number");
        let mut f = form();
        f.cpu_limit = "0.25".into();
        f.memory_limit = "256Mi".into();
        let spec = validate(&f).unwrap();
        assert_eq!((spec.cpu_limit_m, spec.mem_limit_b), (Some(250), Some(256 << 20)));
    }

    #[test]
    fn env_vars_need_good_unique_names() {
        let var = |n: &str| EnvVar { name: n.into(), value: "v".into() };
        assert_error(|f| f.env.push(var("1ST")), "env.1.name", "not a variable name");
        assert_error(|f| f.env.push(var("MY-VAR")), "env.1.name", "not a variable name");
        assert_error(|f| f.env.push(EnvVar { name: String::new(), value: "x".into() }), "env.1.name", "give the variable a name");
        assert_error(|f| f.env.extend([var("A"), var("LOG_LEVEL")]), "env.2.name", "LOG_LEVEL is already set in row 1");
        let mut f = form();
        f.env.extend([EnvVar::default(), var("_under_score9")]);
        let names: Vec<String> = validate(&f).unwrap().env.into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["LOG_LEVEL", "_under_score9"], "blank rows are dropped");
    }

    #[test]
    fn ports_need_a_number_a_protocol_and_no_repeats() {
        let port = |p: u16, proto: &str| PortSpec { port: p, protocol: proto.into(), expose: false };
        assert_error(|f| f.ports.push(port(0, "TCP")), "ports.1.port", "from 1 to 65535");
        assert_error(|f| f.ports.push(port(53, "SCTPX")), "ports.1.protocol", "choose TCP or UDP");
        assert_error(|f| f.ports.push(port(8080, "TCP")), "ports.1.port", "8080/TCP is listed twice");
        let mut f = form();
        f.ports.extend([port(8080, "UDP"), port(65535, "udp")]);
        assert_eq!(validate(&f).unwrap().ports.len(), 3, "the same port over UDP is another port");
    }

    #[test]
    fn chosen_clusters_may_not_be_empty() {
        assert_error(|f| f.placement = PlacementRule::Clusters(vec![]), "placement", "choose at least one cluster");
        for rule in [PlacementRule::LeastLoaded, PlacementRule::Spread] {
            let mut f = form();
            f.placement = rule.clone();
            assert_eq!(validate(&f).unwrap().placement, rule);
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once_in_form_order() {
        let mut f = form();
        f.name = "Bad Name".into();
        f.image = "a//b".into();
        f.command = "echo \"unclosed".into();
        f.env.push(EnvVar { name: "9".into(), value: String::new() });
        f.replicas = "0".into();
        f.cpu_request = "0".into();
        f.memory_limit = "1Mi".into();
        f.gpu = "99".into();
        f.placement = PlacementRule::Clusters(vec![]);
        let fields: Vec<String> = validate(&f).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "image", "command", "env.1.name", "replicas", "cpu_request", "memory_limit", "gpu", "placement"]);
    }

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(split_words("  a  b\tc ").unwrap(), ["a", "b", "c"]);
        assert_eq!(split_words(r#"echo "a b" 'c "d"' e\ f "" x"y"z"#).unwrap(), ["echo", "a b", "c \"d\"", "e f", "", "xyz"]);
        assert_eq!(split_words(r#""say \"hi\"""#).unwrap(), ["say \"hi\""]);
        assert!(split_words("").unwrap().is_empty());
        assert!(split_words("'open").unwrap_err().contains("' quote is not closed"));
        assert_error(|f| f.args = "--name \"x".into(), "args", "not closed");
    }

    #[test]
    fn quantity_hints_read_like_words() {
        let hint = |field: &str, text: &str| quantity_hint(field, text);
        assert_eq!(hint("cpu_request", "250m").as_deref(), Some("250m = a quarter of a core"));
        assert_eq!(hint("cpu_limit", "1.5").as_deref(), Some("1.5 = one and a half cores"));
        assert_eq!(hint("cpu_request", "500m").as_deref(), Some("500m = half a core"));
        assert_eq!(hint("cpu_request", "2").as_deref(), Some("2 = two cores"));
        assert_eq!(hint("cpu_request", "350m").as_deref(), Some("350m = 0.35 of a core"));
        assert_eq!(hint("cpu_request", "1200m").as_deref(), Some("1200m = 1.2 cores"));
        assert_eq!(hint("memory_request", "512Mi").as_deref(), Some("512Mi = 512 MiB"));
        assert_eq!(hint("memory_limit", "1.5Gi").as_deref(), Some("1.5Gi = 1.5 GiB"));
        assert_eq!(hint("memory_limit", "2G").as_deref(), Some("2G = about 1.86 GiB"));
        assert!(hint("memory_request", "512").unwrap().contains("did you mean 512Mi?"));
        assert_eq!(hint("cpu_request", "abc"), None);
        assert_eq!(hint("replicas", "3"), None);
    }

    #[test]
    fn the_form_and_spec_cross_the_wire() {
        let json = serde_json::to_string(&form()).unwrap();
        assert!(json.contains(r#""placement":{"clusters":[3,1,3]}"#), "{json}");
        assert_eq!(serde_json::from_str::<WorkloadForm>(&json).unwrap(), form());
        let spec = validate(&form()).unwrap();
        assert_eq!(serde_json::from_str::<WorkloadSpec>(&serde_json::to_string(&spec).unwrap()).unwrap(), spec);
        assert_eq!(serde_json::to_string(&PlacementRule::LeastLoaded).unwrap(), r#""least_loaded""#);
    }

    proptest! {
        #[test]
        fn plain_words_split_back(words in proptest::collection::vec("[a-zA-Z0-9_./=-]{1,8}", 0..6)) {
            prop_assert_eq!(split_words(&words.join(" ")).unwrap(), words);
        }

        #[test]
        fn validate_never_panics(name in "\\PC{0,12}", cpu in "\\PC{0,6}", mem in "\\PC{0,6}", replicas in "\\PC{0,4}") {
            let f = WorkloadForm { name, cpu_request: cpu, memory_request: mem, replicas, ..form() };
            if let Err(errors) = validate(&f) {
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
