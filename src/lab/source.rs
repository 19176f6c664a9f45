//! The lab as a `MetricsSource`, so the demo walks the same path through the
//! app as a real Prometheus.

use std::sync::Arc;

use super::sim::Simulator;
use crate::core::fleet::FleetMetrics;
use crate::core::model_detail::ModelDetail;
use crate::sources::{BoxFuture, FleetQuery, MetricsSource, ModelQuery, SourceError};

pub struct LabSource {
    simulator: Arc<Simulator>,
    slo: Arc<super::slo::SloCounter>,
}

impl LabSource {
    pub fn new(simulator: Arc<Simulator>) -> Self {
        LabSource { simulator, slo: Default::default() }
    }

    pub fn simulator(&self) -> &Arc<Simulator> {
        &self.simulator
    }
}

impl MetricsSource for LabSource {
    fn name(&self) -> String {
        format!("demo ({})", self.simulator.options().scenario.name())
    }

    fn fleet<'a>(&'a self, query: &'a FleetQuery) -> BoxFuture<'a, Result<FleetMetrics, SourceError>> {
        let simulator = Arc::clone(&self.simulator);
        let query = query.clone();
        Box::pin(async move {
            // Thousands of models take milliseconds: keep that off the event loop.
            tokio::task::spawn_blocking(move || simulator.fleet_metrics(&query))
                .await
                .map_err(|e| SourceError { source_name: self.name(), message: format!("simulator failed: {e}") })
        })
    }

    fn model<'a>(&'a self, query: &'a ModelQuery) -> BoxFuture<'a, Result<ModelDetail, SourceError>> {
        let simulator = Arc::clone(&self.simulator);
        let query = query.clone();
        Box::pin(async move {
            let name = query.model.clone();
            let detail = tokio::task::spawn_blocking(move || super::detail::model_detail(&simulator, &query))
                .await
                .map_err(|e| SourceError { source_name: self.name(), message: format!("simulator failed: {e}") })?;
            detail.ok_or_else(|| SourceError { source_name: self.name(), message: format!("no model named {name}") })
        })
    }

    fn slo_series<'a>(
        &'a self,
        slo: &'a crate::core::slo::SloDefinition,
        at: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, Result<crate::core::slo::SloSeries, SourceError>> {
        let simulator = Arc::clone(&self.simulator);
        let counter = Arc::clone(&self.slo);
        let slo = slo.clone();
        Box::pin(async move {
            let name = self.name();
            tokio::task::spawn_blocking(move || counter.series(&simulator, &slo, at))
                .await
                .map_err(|e| SourceError { source_name: name.clone(), message: format!("simulator failed: {e}") })?
                .map_err(|message| SourceError { source_name: name, message })
        })
    }

    fn slo_counts<'a>(
        &'a self,
        slos: &'a [crate::core::slo::SloDefinition],
        at: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, crate::sources::SloCounts> {
        let simulator = Arc::clone(&self.simulator);
        let counter = Arc::clone(&self.slo);
        let slos = slos.to_vec();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || slos.iter().map(|s| counter.counts(&simulator, s, at)).collect())
                .await
                .map_err(|e| SourceError { source_name: self.name(), message: format!("simulator failed: {e}") })
        })
    }
}
