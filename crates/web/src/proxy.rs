//! Who the client is behind a reverse proxy.
//!
//! The normal deployment puts nginx or Caddy with TLS in front of `127.0.0.1:8080`, so every
//! connection comes from the proxy. Only when the peer is one of the trusted proxies
//! (`serve --trusted-proxy CIDR`) are `X-Forwarded-For` and `X-Forwarded-Proto` read: the client is the
//! rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
//! address it saw, so everything left of that is whatever the client chose to send), and the scheme is
//! the proxy's `X-Forwarded-Proto`. From any other peer both headers are ignored. The client's address
//! is what sign-in limits, the audit log and the demo-password check use; its scheme decides `Secure`
//! cookies and HSTS.

use std::net::IpAddr;
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// An address block: `10.0.0.0/8`, `127.0.0.1/32`, `::1/128`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

/// A block that is not `ADDRESS/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bloco de endereços `{0}` inválido: esperado ENDEREÇO/PREFIXO, como 127.0.0.1/32 ou 10.0.0.0/8"
)]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Cidr, CidrError> {
        let bad = || CidrError(s.to_string());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Cidr {
            net: net.to_canonical(),
            prefix,
        })
    }
}

impl Cidr {
    /// Whether `ip` lies in the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client of a request, as [`layer`] worked it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// Its address (`None` for a request made in process, without a connection).
    pub ip: Option<IpAddr>,
    /// It reached us over HTTPS (directly, or through a trusted proxy that says so).
    pub https: bool,
}

impl Client {
    /// The address as text (empty when unknown).
    pub fn ip_text(&self) -> String {
        self.ip.map(|a| a.to_string()).unwrap_or_default()
    }
}

/// The client of a connection from `peer` carrying `headers`, given the `trusted` proxies.
pub fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Client {
    let direct = Client {
        ip: peer.map(|p| p.to_canonical()),
        https: false,
    };
    let Some(peer) = direct.ip else {
        return direct;
    };
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if !is_trusted(peer) {
        return direct;
    }
    // Right to left over every X-Forwarded-For header: the first untrusted hop is the client. An entry
    // that is not an address stops the walk at the hop that appended it.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(a) => {
                client = a.to_canonical();
                if !is_trusted(client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    Client {
        ip: Some(client),
        https,
    }
}

/// HSTS for HTTPS responses: a year, this host only (the secretariat's other hosts are not ours to pin).
const HSTS: &str = "max-age=31536000";

/// Middleware: works out the [`Client`] of each request, hands it to the handlers as an extension, and
/// adds HSTS to responses sent over HTTPS.
pub async fn layer(trusted: std::sync::Arc<Vec<Cidr>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let client = client_of(peer, req.headers(), &trusted);
    req.extensions_mut().insert(client);
    let mut resp = next.run(req).await;
    if client.https {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn blocks() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.255.1.2".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.1.1".parse().unwrap()));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.7".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "::/129", "dez/8", "10.0.0.0/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    /// From an untrusted peer, the headers are ignored: the peer is the client, over plain HTTP.
    #[test]
    fn untrusted_peers_cannot_claim_an_address() {
        let h = headers(&[
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = client_of(ip("203.0.113.7"), &h, &cidrs(&["127.0.0.1/32"]));
        assert_eq!(c.ip, ip("203.0.113.7"));
        assert!(!c.https);
        // No trusted proxy configured: the same from loopback.
        let c = client_of(ip("127.0.0.1"), &h, &[]);
        assert_eq!(c.ip, ip("127.0.0.1"));
        assert!(!c.https);
    }

    /// Through a trusted proxy, the rightmost untrusted address is the client; what the client wrote
    /// further left is not believed.
    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = cidrs(&["127.0.0.1/32", "10.0.0.0/8"]);
        let h = headers(&[
            ("x-forwarded-for", "127.0.0.1, 198.51.100.9"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.5"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = client_of(ip("127.0.0.1"), &h, &trusted);
        assert_eq!(c.ip, ip("203.0.113.7"));
        assert!(c.https);
        // Every hop trusted: the leftmost one.
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.5")]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted).ip, ip("10.0.0.9"));
        // Garbage stops the walk at the hop that appended it.
        let h = headers(&[("x-forwarded-for", "203.0.113.7, lixo, 10.0.0.5")]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted).ip, ip("10.0.0.5"));
        // No header: the proxy itself.
        let c = client_of(ip("127.0.0.1"), &HeaderMap::new(), &trusted);
        assert_eq!(c.ip, ip("127.0.0.1"));
        assert!(!c.https);
    }

    #[test]
    fn in_process_requests_have_no_address() {
        let c = client_of(None, &HeaderMap::new(), &cidrs(&["127.0.0.1/32"]));
        assert_eq!((c.ip, c.https), (None, false));
        assert_eq!(c.ip_text(), "");
    }
}
