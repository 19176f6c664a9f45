//! The narrow URL check the config needs: an `http` or `https` base URL with a
//! host, an optional port and no credentials.
//!
//! Hand-written rather than pulling in the `url` crate (and its IDNA tables)
//! for one check; the HTTP client parses the URL properly when it connects.
//! Messages never repeat the whole URL, because a URL may carry a password.

/// `Ok` for URLs like `https://prom.example:9090/prefix`; otherwise why not.
pub(crate) fn check_http_url(text: &str) -> Result<(), String> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL may not contain spaces or control characters".into());
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err("expected an http:// or https:// URL".into());
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!("unsupported scheme `{scheme}`; use http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("credentials do not belong in the URL; use `username` with `password_env` or \
                    `password_file`, or `token_env` or `token_file`"
            .into());
    }
    let (host, port) = split_host_port(authority)?;
    check_host(host)?;
    match port {
        None => Ok(()),
        Some(port) => check_port(port),
    }
}

/// Splits `host:port`, keeping an IPv6 literal (`[::1]:9090`) whole.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.starts_with('[') {
        let Some(close) = authority.find(']') else {
            return Err("the IPv6 address in the URL is missing its closing `]`".into());
        };
        let (host, after) = authority.split_at(close + 1);
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err("unexpected characters after the IPv6 address in the URL".into()),
        };
    }
    Ok(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    let valid = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(ipv6) => !ipv6.is_empty() && ipv6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'),
        None => host.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_')),
    };
    if valid { Ok(()) } else { Err(format!("`{host}` is not a valid host name")) }
}

fn check_port(port: &str) -> Result<(), String> {
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("port `{port}` is not a number from 1 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_base_urls() {
        for url in [
            "http://127.0.0.1:9093",
            "https://prom.example:9090",
            "https://es:9200",
            "HTTPS://mimir.internal/prometheus",
            "http://[::1]:5000/",
            "http://[fe80::1]",
            "https://prom_internal.svc?x=1",
        ] {
            assert_eq!(check_http_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        let cases = [
            ("prom.example:9090", "expected an http:// or https:// URL"),
            ("ftp://prom.example", "unsupported scheme `ftp`; use http or https"),
            ("https://", "the URL has no host"),
            ("https://:9090", "the URL has no host"),
            ("http://prom example", "a URL may not contain spaces or control characters"),
            ("http://prom!/", "`prom!` is not a valid host name"),
            ("http://prom:99999", "port `99999` is not a number from 1 to 65535"),
            ("http://prom:", "port `` is not a number from 1 to 65535"),
            ("http://[::1", "the IPv6 address in the URL is missing its closing `]`"),
            ("http://[::1]x", "unexpected characters after the IPv6 address in the URL"),
        ];
        for (url, why) in cases {
            assert_eq!(check_http_url(url), Err(why.to_string()), "{url}");
        }
    }

    #[test]
    fn refuses_credentials_without_repeating_them() {
        let why = check_http_url("https://admin:hunter2@prom.example").unwrap_err();
        assert!(why.starts_with("credentials do not belong in the URL"), "{why}");
        assert!(!why.contains("hunter2"));
    }
}
