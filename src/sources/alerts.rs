//! Alerts from a real monitoring stack: Prometheus' rule alerts (pending and
//! firing) merged with Alertmanager's (which knows silences and inhibitions).
//! At a past instant only Prometheus can answer — from its `ALERTS` series —
//! and the snapshot says so.

use chrono::{DateTime, Utc};

use super::alertmanager::AlertmanagerClient;
use super::prometheus::PrometheusClient;
use super::{AlertsSnapshot, AlertsSource, BoxFuture, SourceError};
use crate::core::alerts::{self, AlertEntry, AlertOrigin, AlertState};

pub struct ServerAlerts {
    pub prometheus: Option<PrometheusClient>,
    pub alertmanager: Option<AlertmanagerClient>,
    /// The label naming the model on alerts (the preset's model label).
    pub model_label: String,
}

impl ServerAlerts {
    async fn prometheus_alerts(
        &self,
        client: &PrometheusClient,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AlertEntry>, String> {
        let label = self.model_label.as_str();
        match at {
            None => Ok(client
                .alerts()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|a| {
                    let state = if a.state == "firing" { AlertState::Firing } else { AlertState::Pending };
                    let mut entry =
                        AlertEntry::from_labels(&a.labels, &a.annotations, label, state, AlertOrigin::Prometheus);
                    entry.since = a.active_at;
                    entry
                })
                .collect()),
            Some(at) => {
                // `ALERTS` keeps the labels (not the annotations) of every
                // pending and firing alert, so the past can be reconstructed.
                let samples = client.query("ALERTS", Some(at)).await.map_err(|e| e.to_string())?;
                Ok(samples
                    .into_iter()
                    .map(|mut s| {
                        let state = match s.labels.remove("alertstate").as_deref() {
                            Some("firing") => AlertState::Firing,
                            _ => AlertState::Pending,
                        };
                        s.labels.remove("__name__");
                        let none = Default::default();
                        AlertEntry::from_labels(&s.labels, &none, label, state, AlertOrigin::Prometheus)
                    })
                    .collect())
            }
        }
    }

    async fn alertmanager_alerts(&self, client: &AlertmanagerClient) -> Result<Vec<AlertEntry>, String> {
        let label = self.model_label.as_str();
        Ok(client
            .alerts()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|a| {
                let state = if a.is_silenced() {
                    AlertState::Silenced
                } else if a.is_inhibited() {
                    AlertState::Inhibited
                } else {
                    AlertState::Firing
                };
                let mut entry =
                    AlertEntry::from_labels(&a.labels, &a.annotations, label, state, AlertOrigin::Alertmanager);
                entry.since = Some(a.starts_at);
                entry.fingerprint = Some(a.fingerprint.clone());
                entry.silenced_by = a.status.silenced_by.clone();
                entry
            })
            .collect())
    }
}

impl AlertsSource for ServerAlerts {
    fn name(&self) -> String {
        let names: Vec<&str> =
            [self.prometheus.as_ref().map(|p| p.name()), self.alertmanager.as_ref().map(|a| a.name())]
                .into_iter()
                .flatten()
                .collect();
        names.join(" + ")
    }

    fn alerts<'a>(&'a self, at: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<AlertsSnapshot, SourceError>> {
        Box::pin(async move {
            let from_prometheus = async {
                match &self.prometheus {
                    Some(client) => Some(self.prometheus_alerts(client, at).await),
                    None => None,
                }
            };
            let from_alertmanager = async {
                match (&self.alertmanager, at) {
                    (Some(client), None) => Some(self.alertmanager_alerts(client).await),
                    _ => None,
                }
            };
            let (prometheus, alertmanager) = tokio::join!(from_prometheus, from_alertmanager);
            let mut notes = Vec::new();
            if at.is_some() && self.alertmanager.is_some() {
                notes.push("alertmanager keeps no history: silences are not shown for a past instant".to_string());
            }
            let attempted = prometheus.is_some() as usize + alertmanager.is_some() as usize;
            let mut failures = Vec::new();
            let mut take = |result: Option<Result<Vec<AlertEntry>, String>>| match result {
                Some(Ok(list)) => list,
                Some(Err(error)) => {
                    failures.push(error);
                    Vec::new()
                }
                None => Vec::new(),
            };
            let (prometheus, alertmanager) = (take(prometheus), take(alertmanager));
            if attempted > 0 && failures.len() == attempted {
                return Err(SourceError { source_name: self.name(), message: failures.join("; ") });
            }
            notes.extend(failures);
            Ok(AlertsSnapshot { at, alerts: alerts::merge(prometheus, alertmanager), notes })
        })
    }
}
