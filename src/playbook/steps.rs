//! Carrying out one resolved request. Each function returns what happened
//! in a sentence, or why it failed; the runner records both.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::io::AsyncReadExt;

use super::backends::Backends;
use super::plan::{Metric, Request, format_weights, last_move_tag, previous_tag};
use crate::core::duration;
use crate::core::sanitize::sanitize;
use crate::sources::FleetQuery;
use crate::sources::alertmanager::{Matcher, NewSilence};
use crate::sources::http::{Limits, ServerClient};

/// Where a step reports progress (a check's latest value) while it runs.
pub type Progress<'a> = &'a (dyn Fn(String) + Send + Sync);

/// Environment variables an `exec` step inherits besides those it lists:
/// what kubectl and friends need to find their config, nothing else.
pub const EXEC_ENV_ALLOW: &[&str] = &["PATH", "HOME", "LANG", "KUBECONFIG", "USER"];
/// Output an `exec` step keeps from each stream.
const EXEC_OUTPUT_CAP: usize = 64 * 1024;

pub struct StepContext<'a> {
    pub backends: &'a Backends,
    pub playbook: &'a str,
    pub actor: &'a str,
    pub run_id: &'a str,
}

pub async fn perform(request: &Request, cx: &StepContext<'_>, progress: Progress<'_>) -> Result<String, String> {
    let backends = cx.backends;
    match request {
        Request::SetAlias { model, alias, version, record_previous } => {
            let registry = backends.registry()?;
            let before = registry.model(model).await.map_err(|e| e.to_string())?;
            let from = before.alias(alias).map(str::to_string);
            registry.set_alias(model, alias, version).await.map_err(|e| e.to_string())?;
            // MLflow keeps no history of alias moves: vigil writes its own,
            // on the model (who moved what when) and, for forward moves, on
            // the new version (where a later rollback should go).
            let mut notes = Vec::new();
            if let Some(from) = &from {
                let record = json!({
                    "from": from, "to": version, "at": Utc::now().to_rfc3339(), "by": cx.actor,
                    "playbook": cx.playbook, "run": cx.run_id,
                })
                .to_string();
                if let Err(e) = registry.set_model_tag(model, &last_move_tag(alias), &record).await {
                    notes.push(format!("the move could not be recorded on the model: {e}"));
                }
                if *record_previous
                    && let Err(e) = registry.set_version_tag(model, version, &previous_tag(alias), from).await
                {
                    notes.push(format!("the previous version could not be recorded: {e}"));
                }
            }
            let mut text = format!("{alias} of {model}: {} → {version}", from.as_deref().unwrap_or("none"));
            for n in notes {
                text.push_str(&format!("; {n}"));
            }
            Ok(text)
        }
        Request::SetTag { model, version, key, value } => {
            let registry = backends.registry()?;
            match version {
                Some(v) => registry.set_version_tag(model, v, key, value).await,
                None => registry.set_model_tag(model, key, value).await,
            }
            .map_err(|e| e.to_string())?;
            Ok(format!("tag {key}={value:?} set"))
        }
        Request::SetWeights { model, weights } => {
            let traffic = backends.traffic()?;
            let before = traffic.weights(model).await.map_err(|e| e.to_string())?;
            let after = traffic.set_weights(model, weights).await.map_err(|e| e.to_string())?;
            Ok(format!("traffic of {model}: {} → {}", format_weights(&before), format_weights(&after)))
        }
        Request::Http { method, url, headers, body, expect_status, token_env } => {
            let mut headers = headers.clone();
            if let Some(name) = token_env {
                let token = std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))?;
                headers.push(("authorization".into(), format!("Bearer {}", token.trim())));
            }
            http(method, url, &headers, body.as_ref(), expect_status).await
        }
        Request::Exec { argv, env } => exec(argv, env).await,
        Request::CheckPromql { query, bound, within, every } => {
            let prometheus =
                backends.prometheus.as_ref().ok_or_else(|| backends.lacks(super::spec::Capability::Prometheus))?;
            poll(*within, *every, progress, || async {
                let samples = prometheus.query(query, None).await.map_err(|e| e.to_string())?;
                if samples.is_empty() {
                    return Ok((false, "no series yet".to_string()));
                }
                let values: Vec<String> = samples.iter().map(|s| format!("{:.6}", s.value)).collect();
                Ok((samples.iter().all(|s| bound.holds(s.value)), format!("{} (needs {bound})", values.join(", "))))
            })
            .await
        }
        Request::CheckMetric { model, version, metric, bound, window, within, every } => {
            let metrics = backends.metrics.as_ref().ok_or("this context has no metrics source")?;
            poll(*within, *every, progress, || async {
                let query =
                    FleetQuery { at: Utc::now(), rate_window: *window, history: *window, history_step: *window };
                let fleet = metrics.fleet(&query).await.map_err(|e| e.to_string())?;
                let value = metric_value(&fleet, model, version.as_deref(), *metric);
                Ok(match value {
                    Some(v) => (bound.holds(v), format!("{} = {:.6} (needs {bound})", metric.name(), v)),
                    None => (false, format!("{}: no data yet", metric.name())),
                })
            })
            .await
        }
        Request::Silence { model, duration: d, comment } => {
            let alertmanager =
                backends.alertmanager.as_ref().ok_or_else(|| backends.lacks(super::spec::Capability::Alertmanager))?;
            let now = Utc::now();
            let silence = NewSilence {
                matchers: vec![Matcher::equal(&backends.model_label, model)],
                starts_at: now,
                ends_at: now + chrono::Duration::from_std(*d).map_err(|e| e.to_string())?,
                created_by: format!("{} (vigil playbook {})", cx.actor, cx.playbook),
                comment: comment.clone(),
            };
            let id = alertmanager.create_silence(&silence).await.map_err(|e| e.to_string())?;
            Ok(format!("silence {id} for {}", duration::format(*d)))
        }
        // The annotation is the audit record the runner writes for this step.
        Request::Annotate { text } => Ok(sanitize(text).into_owned()),
        Request::Wait { duration: d } => {
            tokio::time::sleep(*d).await;
            Ok(format!("waited {}", duration::format(*d)))
        }
        Request::Confirm { prompt } => Ok(format!("confirmed: {prompt}")),
        // The runner turns an undo into the reverse request before it gets here.
        Request::Undo { step } => Err(format!("undo {step}: nothing recorded to put back")),
        Request::AliasIs { model, alias, version, not_version } => {
            let m = backends.registry()?.model(model).await.map_err(|e| e.to_string())?;
            let now = m.alias(alias);
            let shown = now.unwrap_or("unset");
            if let Some(v) = version
                && now != Some(v.as_str())
            {
                return Err(format!("{alias} of {model} is {shown}, not {v}: the state changed since the plan"));
            }
            if let Some(v) = not_version
                && now == Some(v.as_str())
            {
                return Err(format!("{alias} of {model} is already {v}"));
            }
            Ok(format!("{alias} of {model} is {shown}"))
        }
        Request::TagIs { model, version, key, value } => {
            let m = backends.registry()?.model(model).await.map_err(|e| e.to_string())?;
            let now = match version {
                Some(v) => m.version(v).ok_or_else(|| format!("{model} has no version {v}"))?.tags.get(key),
                None => m.tags.get(key),
            };
            match now {
                Some(found) if found == value => Ok(format!("{key} is {value:?}")),
                Some(found) => Err(format!("{key} is {found:?}, not {value:?}")),
                None => Err(format!("{key} is not set (needs {value:?})")),
            }
        }
    }
}

/// The figure a `check.metric` step reads, for the model or one version.
pub fn metric_value(
    fleet: &crate::core::fleet::FleetMetrics,
    model: &str,
    version: Option<&str>,
    metric: Metric,
) -> Option<f64> {
    let m = fleet.models.iter().find(|m| m.model == model)?;
    match version {
        Some(v) => {
            let vm = m.versions.iter().find(|x| x.version.as_deref() == Some(v))?;
            match metric {
                Metric::ErrorRatio => crate::core::fleet::error_ratio(vm.requests_per_second, vm.errors_per_second),
                Metric::LatencyP99 => vm.latency_p99_seconds,
                Metric::RequestsPerSecond => vm.requests_per_second,
            }
        }
        None => match metric {
            Metric::ErrorRatio => crate::core::fleet::error_ratio(m.requests_per_second(), m.errors_per_second()),
            Metric::LatencyP99 => m.latency_p99_seconds,
            Metric::RequestsPerSecond => m.requests_per_second(),
        },
    }
}

/// Evaluates `check` until it holds or `within` has passed (once when
/// `within` is zero). A failed evaluation is reported and retried, like a
/// value that does not hold yet.
async fn poll<F, Fut>(within: Duration, every: Duration, progress: Progress<'_>, mut check: F) -> Result<String, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(bool, String), String>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let last = match check().await {
            Ok((true, text)) => return Ok(text),
            Ok((false, text)) => text,
            Err(e) => e,
        };
        progress(last.clone());
        if tokio::time::Instant::now() + every > deadline {
            return Err(if within.is_zero() {
                last
            } else {
                format!("not within {}: {last}", duration::format(within))
            });
        }
        tokio::time::sleep(every).await;
    }
}

async fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&serde_json::Value>,
    expect_status: &[u16],
) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let origin = parsed.origin().ascii_serialization();
    let endpoint = crate::config::Endpoint { url: origin, ..crate::config::Endpoint::default() };
    let client = ServerClient::new("http", &endpoint, Limits::default())?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let what = format!("{method} {}", parsed.path());
    match client.send_to_url(method, parsed, headers, body, &what).await {
        Ok(bytes) => Ok(format!("answered {} bytes", bytes.len())),
        Err(e) => match (&e.reason, expect_status) {
            (crate::sources::http::Reason::Status { code, .. }, expected) if expected.contains(code) => {
                Ok(format!("answered {code} (expected)"))
            }
            _ => Err(e.detail()),
        },
    }
}

async fn exec(argv: &[String], env: &[(String, String)]) -> Result<String, String> {
    let (program, args) = argv.split_first().ok_or("argv is empty")?;
    let mut command = tokio::process::Command::new(program);
    command.args(args).env_clear().stdin(std::process::Stdio::null()).kill_on_drop(true);
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    for name in EXEC_ENV_ALLOW {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().map_err(|e| format!("{program}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let (out, err, status) = tokio::join!(read_capped(&mut stdout), read_capped(&mut stderr), child.wait());
    let status = status.map_err(|e| format!("{program}: {e}"))?;
    let text = |bytes: Vec<u8>| sanitize(String::from_utf8_lossy(&bytes).trim()).into_owned();
    let (out, err) = (text(out), text(err));
    if status.success() {
        Ok(if out.is_empty() { "exit 0".to_string() } else { format!("exit 0: {out}") })
    } else {
        let code = status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
        Err(format!("{program}: {code}{}", if err.is_empty() { String::new() } else { format!(": {err}") }))
    }
}

/// Reads a child's stream to the end, keeping at most the cap (the rest is
/// drained so the child never blocks on a full pipe).
async fn read_capped(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        let room = EXEC_OUTPUT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::plan::Bound;

    #[tokio::test]
    async fn exec_passes_each_argument_whole_and_never_through_a_shell() {
        let hostile = "a'b\"c; echo pwned $(id) `id` ../x\nline2 ✓";
        let out = exec(&["printf".into(), "%s|".into(), hostile.into(), "second".into()], &[]).await.unwrap();
        // printf prints each argument once, followed by `|`: two arguments arrived.
        assert!(out.ends_with("|second|"), "{out}");
        assert!(!out.contains("pwned uid"), "{out}");
        assert!(out.contains("$(id)"), "{out}");
    }

    #[tokio::test]
    async fn exec_reports_the_exit_code_and_stderr() {
        let e = exec(&["sh".into(), "-c".into(), "echo oops >&2; exit 3".into()], &[]).await.unwrap_err();
        assert_eq!(e, "sh: exit 3: oops");
        let e = exec(&["/nonexistent/program".into()], &[]).await.unwrap_err();
        assert!(e.starts_with("/nonexistent/program: "), "{e}");
    }

    #[tokio::test]
    async fn exec_sees_only_allowed_environment() {
        // SAFETY: test-only; no other thread of this test reads the variable.
        unsafe { std::env::set_var("VIGIL_TEST_SECRET", "s3cret") };
        let out = exec(&["env".into()], &[("EXTRA".into(), "1".into())]).await.unwrap();
        assert!(!out.contains("s3cret"), "{out}");
        assert!(out.contains("EXTRA=1"), "{out}");
    }

    #[tokio::test]
    async fn poll_gives_up_after_within_with_the_last_value() {
        let noop = |_: String| {};
        let e = poll(Duration::from_millis(30), Duration::from_millis(10), &noop, || async {
            Ok((false, "error_ratio = 0.1".to_string()))
        })
        .await
        .unwrap_err();
        assert_eq!(e, "not within 30ms: error_ratio = 0.1");
        let ok = poll(Duration::ZERO, Duration::from_secs(1), &noop, || async { Ok((true, "fine".into())) }).await;
        assert_eq!(ok, Ok("fine".into()));
        let bound = Bound::Below(0.01);
        assert!(bound.holds(0.005) && !bound.holds(0.01));
    }
}
