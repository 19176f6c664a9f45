//! Which SLOs a context has and how to evaluate them all at one instant —
//! shared by `vigil slo` and the console's SLO collector.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::core::slo::{SloDefinition, SloEntry, default_slos};
use crate::sources::{FleetQuery, MetricsSource, SourceError};

/// The SLOs to evaluate: the configured ones, or defaults for every model
/// the fleet has at the time (which kinds, from what the preset measures).
#[derive(Debug, Clone, PartialEq)]
pub enum SloPlan {
    Configured(Vec<SloDefinition>),
    Defaults { availability: bool, latency: bool },
}

impl SloPlan {
    /// The definitions at `at` (defaults need the fleet's model names).
    pub async fn definitions(
        &self,
        source: &Arc<dyn MetricsSource>,
        at: DateTime<Utc>,
    ) -> Result<Vec<SloDefinition>, SourceError> {
        match self {
            SloPlan::Configured(list) => Ok(list.clone()),
            SloPlan::Defaults { availability, latency } => {
                let fleet = source.fleet(&FleetQuery::at(at)).await?;
                Ok(fleet.models.iter().flat_map(|m| default_slos(&m.model, *availability, *latency)).collect())
            }
        }
    }
}

/// Every SLO of `definitions` evaluated at `at`, in order.
pub async fn evaluate(
    source: &Arc<dyn MetricsSource>,
    definitions: &[SloDefinition],
    at: DateTime<Utc>,
) -> Result<Vec<SloEntry>, SourceError> {
    let counts = source.slo_counts(definitions, at).await?;
    let checks = source.sloth_checks(definitions, at).await;
    Ok(definitions
        .iter()
        .zip(counts)
        .zip(checks)
        .map(|((d, c), check)| SloEntry { sloth: check, ..SloEntry::new(d, c) })
        .collect())
}
