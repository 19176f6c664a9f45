//! Collectors: tokio tasks that poll a source and publish the newest result
//! on a `watch` channel. A watch keeps only the latest value, so nothing
//! queues up behind a slow terminal or a slow server.

pub mod slo;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::core::fleet::FleetMetrics;
use crate::sources::{AlertsSnapshot, AlertsSource, FleetQuery, MetricsSource, RegistrySource, SourceError};

/// What the console knows about one source right now.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed<T> {
    pub source_name: String,
    /// The newest good data, kept when later attempts fail so the screen can
    /// show it marked stale instead of going blank.
    pub latest: Option<Arc<T>>,
    /// When `latest` was fetched (wall clock).
    pub latest_fetched_at: Option<DateTime<Utc>>,
    /// The last attempt's failure; `None` after a success.
    pub error: Option<SourceError>,
    /// Increases with every attempt, so observers can tell attempts apart.
    pub attempts: u64,
}

impl<T> Feed<T> {
    pub fn empty(source_name: String) -> Self {
        Self { source_name, latest: None, latest_fetched_at: None, error: None, attempts: 0 }
    }
}

/// When to poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub refresh: Duration,
    /// A fixed instant (`--at`): fetched once, again only when asked.
    pub at: Option<DateTime<Utc>>,
    /// A request that takes longer than this counts as failed.
    pub timeout: Duration,
}

/// A running collector: the feed, and a way to ask for an immediate refresh.
pub struct Collector<T> {
    pub feed: watch::Receiver<Feed<T>>,
    refresh: mpsc::Sender<()>,
    task: JoinHandle<()>,
}

impl<T> Collector<T> {
    /// Asks for a refresh now. Requests made while one is pending coalesce
    /// (the channel holds one), so holding a key down cannot queue work.
    pub fn refresh_now(&self) {
        let _ = self.refresh.try_send(());
    }
}

impl<T> Drop for Collector<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts polling `source` for the fleet.
pub fn spawn_fleet(source: Arc<dyn MetricsSource>, schedule: Schedule) -> Collector<FleetMetrics> {
    let name = source.name();
    spawn(name, schedule, move |at| {
        let source = Arc::clone(&source);
        async move { source.fleet(&FleetQuery::at(at)).await }
    })
}

/// Starts polling `source` for alerts.
pub fn spawn_alerts(source: Arc<dyn AlertsSource>, schedule: Schedule) -> Collector<AlertsSnapshot> {
    let name = source.name();
    let pinned = schedule.at.is_some();
    spawn(name, schedule, move |at| {
        let source = Arc::clone(&source);
        async move { source.alerts(pinned.then_some(at)).await }
    })
}

/// Starts reading every model of `source`'s registry. A registry keeps no
/// history, so it is read as of now on every refresh, whatever `--at` says.
pub fn spawn_registry(
    source: Arc<dyn RegistrySource>,
    schedule: Schedule,
) -> Collector<Vec<crate::core::registry::RegisteredModel>> {
    let name = source.name();
    spawn(name, Schedule { at: None, ..schedule }, move |_| {
        let source = Arc::clone(&source);
        async move { source.models(None).await }
    })
}

/// Polls `fetch` (given the instant to describe) on `schedule`, publishing
/// each result on the feed; failures keep the last good value.
pub fn spawn<T, F, Fut>(source_name: String, schedule: Schedule, fetch: F) -> Collector<T>
where
    T: Send + Sync + 'static,
    F: Fn(DateTime<Utc>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, SourceError>> + Send,
{
    let (tx, rx) = watch::channel(Feed::empty(source_name.clone()));
    let (refresh_tx, mut refresh_rx) = mpsc::channel::<()>(1);
    let task = tokio::spawn(async move {
        loop {
            let at = schedule.at.unwrap_or_else(Utc::now);
            let outcome = match tokio::time::timeout(schedule.timeout, fetch(at)).await {
                Ok(result) => result,
                Err(_) => Err(SourceError {
                    source_name: source_name.clone(),
                    message: format!("no answer within {}", crate::core::duration::format(schedule.timeout)),
                }),
            };
            if let Err(e) = &outcome {
                tracing::warn!(source = %e.source_name, error = %e.message, "refresh failed");
            }
            tx.send_modify(|feed| {
                feed.attempts += 1;
                match outcome {
                    Ok(metrics) => {
                        feed.latest = Some(Arc::new(metrics));
                        feed.latest_fetched_at = Some(Utc::now());
                        feed.error = None;
                    }
                    Err(e) => feed.error = Some(e),
                }
            });
            let pinned_and_fetched = schedule.at.is_some() && tx.borrow().error.is_none();
            if pinned_and_fetched {
                // The past does not change: wait for an explicit refresh only.
                if refresh_rx.recv().await.is_none() {
                    return;
                }
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(schedule.refresh) => {}
                    request = refresh_rx.recv() => if request.is_none() { return },
                }
            }
        }
    });
    Collector { feed: rx, refresh: refresh_tx, task }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::BoxFuture;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A source whose answers the test scripts: it is the collector under test here, not a backend.
    struct Scripted {
        calls: AtomicU64,
        fail_every_other: bool,
        delay: Duration,
    }

    impl MetricsSource for Scripted {
        fn name(&self) -> String {
            "scripted".into()
        }
        fn fleet<'a>(&'a self, query: &'a FleetQuery) -> BoxFuture<'a, Result<FleetMetrics, SourceError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                if self.fail_every_other && n % 2 == 1 {
                    return Err(SourceError { source_name: "scripted".into(), message: "connection refused".into() });
                }
                Ok(FleetMetrics {
                    at: query.at,
                    rate_window_seconds: 300.0,
                    history_step_seconds: 60.0,
                    models: vec![],
                    via: None,
                })
            })
        }
        fn model<'a>(
            &'a self,
            _query: &'a crate::sources::ModelQuery,
        ) -> BoxFuture<'a, Result<crate::core::model_detail::ModelDetail, SourceError>> {
            Box::pin(async { Err(SourceError { source_name: "scripted".into(), message: "fleet only".into() }) })
        }
        fn slo_counts<'a>(
            &'a self,
            _slos: &'a [crate::core::slo::SloDefinition],
            _at: DateTime<Utc>,
        ) -> BoxFuture<'a, crate::sources::SloCounts> {
            Box::pin(async { Err(SourceError { source_name: "scripted".into(), message: "fleet only".into() }) })
        }
        fn slo_series<'a>(
            &'a self,
            _slo: &'a crate::core::slo::SloDefinition,
            _at: DateTime<Utc>,
        ) -> BoxFuture<'a, Result<crate::core::slo::SloSeries, SourceError>> {
            Box::pin(async { Err(SourceError { source_name: "scripted".into(), message: "fleet only".into() }) })
        }
    }

    fn schedule(at: Option<DateTime<Utc>>, timeout: Duration) -> Schedule {
        Schedule { refresh: Duration::from_millis(20), at, timeout }
    }

    #[tokio::test]
    async fn a_failure_keeps_the_last_good_data_and_records_the_error() {
        let source = Arc::new(Scripted { calls: AtomicU64::new(0), fail_every_other: true, delay: Duration::ZERO });
        let collector = spawn_fleet(source, schedule(None, Duration::from_secs(5)));
        let mut feed = collector.feed.clone();
        let failed = feed.wait_for(|f| f.attempts >= 2).await.unwrap().clone();
        assert!(failed.latest.is_some(), "good data from attempt 1 is kept");
        assert_eq!(failed.error.as_ref().map(|e| e.message.as_str()), Some("connection refused"));
        let recovered = feed.wait_for(|f| f.attempts >= 3).await.unwrap().clone();
        assert_eq!(recovered.error, None);
    }

    #[tokio::test]
    async fn a_slow_source_times_out_instead_of_hanging() {
        let source =
            Arc::new(Scripted { calls: AtomicU64::new(0), fail_every_other: false, delay: Duration::from_secs(30) });
        let collector = spawn_fleet(source, schedule(None, Duration::from_millis(30)));
        let mut feed = collector.feed.clone();
        let f = feed.wait_for(|f| f.attempts >= 1).await.unwrap().clone();
        assert!(f.error.unwrap().message.starts_with("no answer within 30ms"));
    }

    #[tokio::test]
    async fn a_pinned_instant_is_fetched_once_until_asked_again() {
        let source = Arc::new(Scripted { calls: AtomicU64::new(0), fail_every_other: false, delay: Duration::ZERO });
        let at = DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z").unwrap().with_timezone(&Utc);
        let collector = spawn_fleet(source.clone(), schedule(Some(at), Duration::from_secs(5)));
        let mut feed = collector.feed.clone();
        feed.wait_for(|f| f.attempts >= 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 1, "no polling of a fixed instant");
        assert_eq!(feed.borrow().latest.as_ref().unwrap().at, at);
        collector.refresh_now();
        feed.wait_for(|f| f.attempts >= 2).await.unwrap();
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }
}
