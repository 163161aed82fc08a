//! Where Flotilla may send outbound requests that people configure (budget webhooks): only to
//! public addresses, unless an administrator allows a network (`allow_private_webhooks`).
//!
//! A URL is checked by resolving its host (every address it resolves to) and refusing when any
//! address is loopback, private, link-local (which includes cloud metadata at 169.254.169.254),
//! unspecified, broadcast, multicast, shared (carrier-grade NAT) or reserved — also when such an
//! IPv4 address is written as IPv6 (`::ffff:127.0.0.1`). The checked addresses are then the only
//! ones the request may connect to ([`Checked::client`]), so a name that resolves differently a
//! moment later (DNS rebinding) cannot redirect it, and redirects are never followed.
use ipnet::IpNet;
use openidconnect::reqwest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Networks an administrator allows webhooks to reach although they are not public
/// (`allow_private_webhooks`, e.g. `10.20.0.0/16, fd00::/8`). Empty by default.
///
/// Read from a comma-separated string (an environment variable) or a list of strings (TOML).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedNetworks(Vec<IpNet>);

impl AllowedNetworks {
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self(networks.into_iter().map(|n| n.trunc()).collect())
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` lies in an allowed network (an IPv4-mapped IPv6 address also counts as its
    /// IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let plain = embedded_v4(ip).map(IpAddr::V4);
        self.0.iter().any(|n| n.contains(&ip) || plain.is_some_and(|v4| n.contains(&v4)))
    }

    fn parse_one(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(|n| n.trunc())
            .map_err(|_| format!("`{s}` is not a network; write it as an address with a prefix length, such as 10.0.0.0/8 or fd00::/8"))
    }
}

impl FromStr for AllowedNetworks {
    type Err = String;

    /// A comma-separated list; blanks are ignored, so `""` allows nothing.
    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',').filter(|p| !p.trim().is_empty()).map(Self::parse_one).collect::<Result<Vec<_>, _>>().map(Self)
    }
}

impl fmt::Display for AllowedNetworks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

impl Serialize for AllowedNetworks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

impl<'de> Deserialize<'de> for AllowedNetworks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Text(String),
            List(Vec<String>),
        }
        let joined = match Given::deserialize(d)? {
            Given::Text(s) => s,
            Given::List(l) => l.join(","),
        };
        joined.parse().map_err(serde::de::Error::custom)
    }
}

/// Why an address is not public.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Loopback,
    Private,
    LinkLocal,
    Unspecified,
    Broadcast,
    Multicast,
    /// 100.64.0.0/10, carrier-grade NAT.
    Shared,
    /// 240.0.0.0/4 and other addresses that are not used on the internet.
    Reserved,
}

impl Kind {
    fn described(self) -> &'static str {
        match self {
            Kind::Loopback => "a loopback address",
            Kind::Private => "a private address",
            Kind::LinkLocal => "a link-local address (where cloud metadata services answer)",
            Kind::Unspecified => "an unspecified address",
            Kind::Broadcast => "a broadcast address",
            Kind::Multicast => "a multicast address",
            Kind::Shared => "a carrier-grade NAT address (100.64.0.0/10)",
            Kind::Reserved => "a reserved address",
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Kind> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some(Kind::Unspecified)
    } else if ip.is_loopback() {
        Some(Kind::Loopback)
    } else if ip.is_private() {
        Some(Kind::Private)
    } else if ip.is_link_local() {
        Some(Kind::LinkLocal)
    } else if ip.is_broadcast() {
        Some(Kind::Broadcast)
    } else if ip.is_multicast() {
        Some(Kind::Multicast)
    } else if a == 100 && (64..128).contains(&b) {
        Some(Kind::Shared)
    } else if a >= 240 {
        Some(Kind::Reserved)
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
/// IPv4-compatible `::a.b.c.d`, and NAT64's well-known `64:ff9b::a.b.c.d`.
fn embedded_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let compatible = s[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback();
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (compatible || nat64).then_some(tail)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Kind> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some(Kind::Unspecified)
    } else if ip.is_loopback() {
        Some(Kind::Loopback)
    } else if let Some(v4) = embedded_v4(IpAddr::V6(ip)) {
        classify_v4(v4)
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        // Unique local fc00::/7, and the deprecated site-local fec0::/10.
        Some(Kind::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(Kind::LinkLocal)
    } else if ip.is_multicast() {
        Some(Kind::Multicast)
    } else {
        None
    }
}

/// Why `ip` is not a public address, or `None` when it is.
pub fn classify(ip: IpAddr) -> Option<Kind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// A URL or address Flotilla will not send to, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Refuses `ip` unless it is public or lies in an allowed network.
pub fn check_addr(ip: IpAddr, allowed: &AllowedNetworks) -> Result<(), Refused> {
    let Some(kind) = classify(ip) else { return Ok(()) };
    if allowed.contains(ip) {
        return Ok(());
    }
    let written = match embedded_v4(ip) {
        Some(v4) => format!("{ip}, {} (IPv4 {v4} written as IPv6)", kind.described()),
        None => format!("{ip}, {}", kind.described()),
    };
    Err(Refused(format!(
        "The webhook address resolves to {written}; Flotilla only sends alerts to public addresses. \
         An administrator can allow this network with allow_private_webhooks."
    )))
}

/// A URL whose every address was checked: requests through [`Checked::client`] connect to
/// those addresses only.
#[derive(Clone, Debug)]
pub struct Checked {
    pub url: url::Url,
    /// The host name as the URL writes it, when it is a name rather than an address.
    name: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

/// How long resolving a webhook's host may take.
const RESOLVE_WITHIN: Duration = Duration::from_secs(5);

/// Parses `url` (http or https only), resolves its host and refuses it when any address is not
/// public and not allowed. Error messages never repeat the URL (it may hold a secret).
pub async fn check_url(url: &str, allowed: &AllowedNetworks) -> Result<Checked, Refused> {
    let url = url::Url::parse(url.trim()).map_err(|_| Refused("The webhook must be a full URL such as https://hooks.slack.com/services/….".into()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused("The webhook must be an http or https URL.".into()));
    }
    let port = url.port_or_known_default().unwrap_or(if url.scheme() == "https" { 443 } else { 80 });
    let (name, addrs) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(host)) => {
            let found = tokio::time::timeout(RESOLVE_WITHIN, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| Refused("The webhook's host name did not resolve within 5 s; check the URL.".into()))?
                .map_err(|e| Refused(format!("The webhook's host name could not be resolved ({e}); check the URL.")))?;
            let mut addrs: Vec<SocketAddr> = found.collect();
            addrs.dedup();
            (Some(host.to_owned()), addrs)
        }
        None => return Err(Refused("The webhook URL needs a host name.".into())),
    };
    if addrs.is_empty() {
        return Err(Refused("The webhook's host name resolves to no address; check the URL.".into()));
    }
    for a in &addrs {
        check_addr(a.ip(), allowed)?;
    }
    Ok(Checked { url, name, addrs })
}

/// Answers the checked name with the checked addresses and refuses every other name, so the
/// client never asks DNS again.
struct Pinned {
    name: String,
    addrs: Vec<SocketAddr>,
}

impl reqwest::dns::Resolve for Pinned {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let answer: Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> =
            if name.as_str().eq_ignore_ascii_case(&self.name) { Ok(Box::new(self.addrs.clone().into_iter())) } else { Err("only the checked webhook host is resolved".into()) };
        Box::pin(std::future::ready(answer))
    }
}

impl Checked {
    /// An HTTP client for this URL: it connects only to the checked addresses, follows no
    /// redirect, uses no proxy (a proxy would resolve the name itself) and gives up after `timeout`.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, Refused> {
        let pinned = Pinned { name: self.name.clone().unwrap_or_default(), addrs: self.addrs.clone() };
        reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(pinned))
            .build()
            .map_err(|e| Refused(format!("cannot prepare the webhook request: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_category_is_recognised() {
        for (addr, kind) in [
            ("127.0.0.1", Kind::Loopback),
            ("127.255.0.9", Kind::Loopback),
            ("::1", Kind::Loopback),
            ("10.1.2.3", Kind::Private),
            ("172.16.0.1", Kind::Private),
            ("172.31.255.255", Kind::Private),
            ("192.168.1.1", Kind::Private),
            ("fc00::1", Kind::Private),
            ("fd12:3456::1", Kind::Private),
            ("169.254.169.254", Kind::LinkLocal),
            ("169.254.0.1", Kind::LinkLocal),
            ("fe80::1", Kind::LinkLocal),
            ("febf::1", Kind::LinkLocal),
            ("0.0.0.0", Kind::Unspecified),
            ("0.1.2.3", Kind::Unspecified),
            ("::", Kind::Unspecified),
            ("255.255.255.255", Kind::Broadcast),
            ("224.0.0.1", Kind::Multicast),
            ("239.255.255.250", Kind::Multicast),
            ("ff02::1", Kind::Multicast),
            ("100.64.0.1", Kind::Shared),
            ("100.127.255.255", Kind::Shared),
            ("240.0.0.1", Kind::Reserved),
        ] {
            assert_eq!(classify(ip(addr)), Some(kind), "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.63.255.255", "100.128.0.1", "169.253.1.1", "2606:4700::1111", "2001:db8::1", "::ffff:8.8.8.8"] {
            assert_eq!(classify(ip(addr)), None, "{addr}");
            assert!(check_addr(ip(addr), &AllowedNetworks::default()).is_ok(), "{addr}");
        }
    }

    #[test]
    fn ipv4_written_as_ipv6_is_judged_as_ipv4() {
        assert_eq!(classify(ip("::ffff:127.0.0.1")), Some(Kind::Loopback));
        assert_eq!(classify(ip("::ffff:169.254.169.254")), Some(Kind::LinkLocal));
        assert_eq!(classify(ip("::ffff:10.0.0.1")), Some(Kind::Private));
        assert_eq!(classify(ip("::ffff:100.64.1.1")), Some(Kind::Shared));
        assert_eq!(classify(ip("::ffff:0.0.0.0")), Some(Kind::Unspecified));
        assert_eq!(classify(ip("::127.0.0.1")), Some(Kind::Loopback), "IPv4-compatible");
        assert_eq!(classify(ip("64:ff9b::a00:1")), Some(Kind::Private), "NAT64 of 10.0.0.1");
        let err = check_addr(ip("::ffff:127.0.0.1"), &AllowedNetworks::default()).unwrap_err().0;
        assert!(err.contains("::ffff:127.0.0.1, a loopback address (IPv4 127.0.0.1 written as IPv6)"), "{err}");
    }

    #[test]
    fn the_refusal_says_what_and_how_to_allow_it() {
        let err = check_addr(ip("127.0.0.1"), &AllowedNetworks::default()).unwrap_err().0;
        assert_eq!(
            err,
            "The webhook address resolves to 127.0.0.1, a loopback address; Flotilla only sends alerts to public addresses. \
             An administrator can allow this network with allow_private_webhooks."
        );
        let err = check_addr(ip("169.254.169.254"), &AllowedNetworks::default()).unwrap_err().0;
        assert!(err.contains("169.254.169.254, a link-local address"), "{err}");
    }

    #[test]
    fn an_allowed_network_lets_its_addresses_through_and_no_others() {
        let allowed: AllowedNetworks = "10.20.0.0/16, fd00::/8,127.0.0.1/8".parse().unwrap();
        assert_eq!(allowed.to_string(), "10.20.0.0/16, fd00::/8, 127.0.0.0/8");
        assert!(check_addr(ip("10.20.3.4"), &allowed).is_ok());
        assert!(check_addr(ip("fd00::5"), &allowed).is_ok());
        assert!(check_addr(ip("127.0.0.1"), &allowed).is_ok());
        assert!(check_addr(ip("::ffff:127.0.0.1"), &allowed).is_ok(), "a mapped address is in its IPv4 network");
        assert!(check_addr(ip("10.21.0.1"), &allowed).is_err());
        assert!(check_addr(ip("::1"), &allowed).is_err(), "IPv6 loopback is not in 127.0.0.0/8");
        assert!(check_addr(ip("169.254.169.254"), &allowed).is_err());
        let single: AllowedNetworks = "192.168.1.5".parse().unwrap();
        assert!(check_addr(ip("192.168.1.5"), &single).is_ok());
        assert!(check_addr(ip("192.168.1.6"), &single).is_err());
    }

    #[test]
    fn networks_are_read_from_text_or_a_list() {
        assert_eq!("".parse::<AllowedNetworks>().unwrap(), AllowedNetworks::default());
        assert!("10.0.0.0/33".parse::<AllowedNetworks>().unwrap_err().contains("10.0.0.0/33"));
        assert!("example.com".parse::<AllowedNetworks>().is_err());
        let from_list: AllowedNetworks = serde_json::from_str(r#"["10.0.0.0/8", "fd00::/8"]"#).unwrap();
        let from_text: AllowedNetworks = serde_json::from_str(r#""10.0.0.0/8,fd00::/8""#).unwrap();
        assert_eq!(from_list, from_text);
        assert_eq!(serde_json::to_string(&from_list).unwrap(), r#"["10.0.0.0/8","fd00::/8"]"#);
        assert!(serde_json::from_str::<AllowedNetworks>(r#""nope""#).is_err());
    }

    #[tokio::test]
    async fn urls_are_checked_by_every_address_they_resolve_to() {
        let none = AllowedNetworks::default();
        assert!(check_url("http://127.0.0.1:9/hook", &none).await.unwrap_err().0.contains("127.0.0.1, a loopback address"));
        assert!(check_url("http://[::ffff:7f00:1]/hook", &none).await.unwrap_err().0.contains("a loopback address"));
        assert!(check_url("http://169.254.169.254/latest/meta-data", &none).await.unwrap_err().0.contains("link-local"));
        // The URL parser reads other spellings of an IPv4 address as that address.
        assert!(check_url("http://2130706433/hook", &none).await.unwrap_err().0.contains("127.0.0.1"));
        assert!(check_url("http://0x7f.1/hook", &none).await.unwrap_err().0.contains("127.0.0.1"));
        // `localhost` resolves to loopback addresses.
        assert!(check_url("http://localhost:9/hook", &none).await.unwrap_err().0.contains("a loopback address"));
        assert_eq!(check_url("ftp://8.8.8.8/x", &none).await.unwrap_err().0, "The webhook must be an http or https URL.");
        assert_eq!(check_url("file:///etc/passwd", &none).await.unwrap_err().0, "The webhook must be an http or https URL.");
        let ok = check_url("https://8.8.8.8/hook", &none).await.unwrap();
        assert_eq!(ok.addrs, vec!["8.8.8.8:443".parse().unwrap()]);
        let allowed: AllowedNetworks = "127.0.0.0/8".parse().unwrap();
        assert_eq!(check_url("http://127.0.0.1:9/hook", &allowed).await.unwrap().addrs, vec!["127.0.0.1:9".parse().unwrap()]);
    }

    /// The client connects to the checked address, never to what DNS says now: a name that
    /// does not resolve at all still reaches the pinned address, and other names are refused.
    #[tokio::test]
    async fn the_client_connects_only_to_the_checked_addresses() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
            }
        });
        let url = format!("http://hook.flotilla.invalid:{}/x", at.port());
        let checked = Checked { url: url::Url::parse(&url).unwrap(), name: Some("hook.flotilla.invalid".into()), addrs: vec![at] };
        let client = checked.client(Duration::from_secs(5)).unwrap();
        assert_eq!(client.get(checked.url.clone()).send().await.unwrap().status().as_u16(), 204);
        let other = format!("http://other.flotilla.invalid:{}/x", at.port());
        assert!(client.get(&other).send().await.is_err(), "no other name is resolved");
    }
}
