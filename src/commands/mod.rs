//! One-shot commands: each prints what a view shows, without a terminal.

pub mod audit;
pub mod config_cmd;
pub mod lab;
pub mod playbook;
pub mod presets;
pub mod registry;
pub mod render;
pub mod slo;
pub mod status;
pub mod tables;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::core::fleet::FleetMetrics;
use crate::launch::Failure;
use crate::sources::{FleetQuery, MetricsSource};

/// How long a one-shot command waits for a source.
pub const ONE_SHOT_TIMEOUT: Duration = Duration::from_secs(15);

/// Fetches the fleet once, as of `at`. Unreachable sources exit 3.
/// Alerts at `at` (or now), for one-shot commands. A failure is not fatal —
/// the fleet is still worth printing — so it comes back as a warning.
pub async fn fetch_alerts(
    source: &Arc<dyn crate::sources::AlertsSource>,
    at: Option<chrono::DateTime<Utc>>,
) -> Result<crate::sources::AlertsSnapshot, String> {
    match tokio::time::timeout(ONE_SHOT_TIMEOUT, source.alerts(at)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("{}: no answer within {}s", source.name(), ONE_SHOT_TIMEOUT.as_secs())),
    }
}

pub async fn fetch_fleet(source: &Arc<dyn MetricsSource>, at: chrono::DateTime<Utc>) -> Result<FleetMetrics, Failure> {
    let query = FleetQuery::at(at);
    match tokio::time::timeout(ONE_SHOT_TIMEOUT, source.fleet(&query)).await {
        Ok(Ok(metrics)) => Ok(metrics),
        Ok(Err(e)) => Err(Failure::unreachable(e.to_string())),
        Err(_) => {
            Err(Failure::unreachable(format!("{}: no answer within {}s", source.name(), ONE_SHOT_TIMEOUT.as_secs())))
        }
    }
}
