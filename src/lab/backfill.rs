//! History of the simulated fleet as an OpenMetrics file for
//! `promtool tsdb create-blocks-from openmetrics FILE DATA_DIR`, so a real
//! Prometheus can hold hours of it without waiting hours.
//!
//! The file is written as the format asks (and as promtool 2.42 was seen to
//! read it): timestamps in seconds, one `# HELP`/`# TYPE` per family,
//! families not interleaved, each series' samples contiguous and in time
//! order (a histogram's point — its buckets, `_sum` and `_count` — together),
//! and `# EOF` last. promtool itself also accepted interleaved families and
//! series, but drops out-of-order samples silently, so the order is kept
//! strict.
//!
//! Samples sit on the grid of multiples of `step` (a multiple of the
//! simulator's 15-second tick, so every sample is a counter value at a tick
//! boundary). Counting starts at the first sample, where every counter is 0.
//! Going family by family means each family walks the ticks again (requests
//! twice: counters and latency histograms), which keeps memory to one
//! series at a time: the file is streamed, never held.

use std::io::{self, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::counters::{Cumulative, Part};
use super::exposition::{
    self, Encoder, FEATURE_VALUE, Family, Format, PREDICTION_SCORE, REQUEST_DURATION, REQUESTS, VERSION_INFO,
};
use super::sim::{Simulator, TICK_SECONDS};

#[derive(Debug, Clone, PartialEq)]
pub struct BackfillOptions {
    /// The last instant of history (the simulator's anchor should be here
    /// too, so scenarios' events sit at their offsets before the end).
    pub end: DateTime<Utc>,
    /// How far back from `end` history reaches.
    pub span: Duration,
    /// Seconds between samples: a positive multiple of the 15-second tick.
    pub step_seconds: i64,
    /// Whether to write the feature and prediction-score histograms.
    pub features: bool,
}

impl BackfillOptions {
    /// Whether the options describe at least two samples on a valid grid.
    pub fn validate(&self) -> Result<(), String> {
        instants(self).map(|_| ())
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub series: u64,
    pub samples: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
}

/// `--step`: a positive multiple of the simulator's tick, in seconds.
pub fn step_seconds(step: Duration) -> Result<i64, String> {
    let tick = TICK_SECONDS as u128;
    let millis = step.as_millis();
    if millis == 0 || !millis.is_multiple_of(tick * 1000) {
        return Err(format!(
            "must be a positive multiple of {TICK_SECONDS}s (the simulator's tick), found {}",
            crate::core::duration::format(step)
        ));
    }
    i64::try_from(step.as_secs()).map_err(|_| "is too long".to_string())
}

/// The sample instants: multiples of the step in `[end - span, end]`.
fn instants(options: &BackfillOptions) -> Result<Vec<i64>, String> {
    let step = options.step_seconds;
    if step <= 0 || step % TICK_SECONDS != 0 {
        return Err(format!("the step must be a positive multiple of {TICK_SECONDS}s"));
    }
    let span = i64::try_from(options.span.as_secs()).map_err(|_| "the span is too long".to_string())?;
    let end = options.end.timestamp();
    let last = end.div_euclid(step) * step;
    let first = (end - span).div_euclid(step) * step + if (end - span).rem_euclid(step) == 0 { 0 } else { step };
    if first >= last {
        return Err(format!(
            "{} of history at a {step}s step holds fewer than two samples",
            crate::core::duration::format(options.span)
        ));
    }
    Ok((first..=last).step_by(step as usize).collect())
}

/// Writes the fleet's history to `out` and says how much.
pub fn write<W: Write>(simulator: &Simulator, options: &BackfillOptions, out: W) -> io::Result<Summary> {
    let instants = instants(options).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut counted = CountingWriter { inner: out, bytes: 0 };
    let mut writer = FamilyWriter {
        simulator,
        encoder: Encoder::new(&mut counted, Format::OpenMetrics),
        instants: &instants,
        series: 0,
    };
    writer.requests()?;
    writer.histograms(&REQUEST_DURATION, |_| vec![Part::Requests])?;
    if options.features {
        writer
            .histograms(&FEATURE_VALUE, |m| (0..simulator.models()[m].features.len()).map(Part::Feature).collect())?;
        writer.histograms(&PREDICTION_SCORE, |_| vec![Part::Scores])?;
    }
    writer.version_info()?;
    let (series, samples) = (writer.series, writer.encoder.samples());
    writer.encoder.finish()?;
    Ok(Summary { series, samples, bytes: counted.bytes, first: instants[0], last: instants[instants.len() - 1] })
}

struct FamilyWriter<'a, W: Write> {
    simulator: &'a Simulator,
    encoder: Encoder<W>,
    instants: &'a [i64],
    series: u64,
}

impl<W: Write> FamilyWriter<'_, W> {
    /// Every (model, version) of the catalogue, deployed at some point or not.
    fn versions(&self) -> Vec<(usize, usize)> {
        let models = self.simulator.models().iter().enumerate();
        models.flat_map(|(m, model)| (0..model.versions.len()).map(move |v| (m, v))).collect()
    }

    fn origin(&self) -> DateTime<Utc> {
        instant(self.instants[0])
    }

    /// The instants at which version `v` of model `m` exists.
    fn live(&self, m: usize, v: usize) -> impl Iterator<Item = i64> + '_ {
        self.instants.iter().copied().filter(move |&t| self.simulator.version_exists(m, v, instant(t)))
    }

    /// `model_requests_total`: the success series of a version, then its
    /// error series (a series' samples must be contiguous), from one walk.
    fn requests(&mut self) -> io::Result<()> {
        self.encoder.family(&REQUESTS)?;
        let simulator = self.simulator;
        for (m, v) in self.versions() {
            let model = &simulator.models()[m];
            let labels = |outcome| {
                [("model", model.name.as_str()), ("version", &model.versions[v].version), ("outcome", outcome)]
            };
            let mut counter = Cumulative::new(simulator, m, v, Part::Requests, self.origin());
            let mut errors = Vec::new();
            for t in self.live(m, v).collect::<Vec<_>>() {
                counter.advance(simulator, instant(t));
                self.encoder.counter(&REQUESTS, &labels("success"), counter.successes(), Some(t))?;
                errors.push((t, counter.errors()));
            }
            for (t, value) in &errors {
                self.encoder.counter(&REQUESTS, &labels("error"), *value, Some(*t))?;
            }
            if !errors.is_empty() {
                self.series += 2;
            }
        }
        Ok(())
    }

    /// A histogram family: for each version, one series group per part.
    fn histograms(&mut self, family: &Family, parts: impl Fn(usize) -> Vec<Part>) -> io::Result<()> {
        self.encoder.family(family)?;
        let simulator = self.simulator;
        for (m, v) in self.versions() {
            for part in parts(m) {
                let mut counter = Cumulative::new(simulator, m, v, part, self.origin());
                let mut lines = 0;
                for t in self.live(m, v).collect::<Vec<_>>() {
                    counter.advance(simulator, instant(t));
                    lines = exposition::write_histogram(&mut self.encoder, family, simulator, &counter, Some(t))?;
                }
                self.series += lines;
            }
        }
        Ok(())
    }

    fn version_info(&mut self) -> io::Result<()> {
        self.encoder.family(&VERSION_INFO)?;
        for (m, v) in self.versions() {
            let labels = exposition::info_labels(self.simulator, m, v);
            let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let live: Vec<i64> = self.live(m, v).collect();
            for &t in &live {
                self.encoder.gauge(&VERSION_INFO, &pairs, 1.0, Some(t))?;
            }
            self.series += u64::from(!live.is_empty());
        }
        Ok(())
    }
}

fn instant(t: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t, 0).expect("sample instants are representable")
}

/// Counts the bytes that pass, for the summary.
struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Outcome;
    use crate::lab::fixtures::{bad_deploy as sim, end};
    use std::collections::HashMap;

    fn options(minutes: u64, step_seconds: i64, features: bool) -> BackfillOptions {
        BackfillOptions { end: end(), span: Duration::from_secs(minutes * 60), step_seconds, features }
    }

    fn written(s: &Simulator, o: &BackfillOptions) -> (String, Summary) {
        let mut out = Vec::new();
        let summary = write(s, o, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    #[test]
    fn steps_must_be_multiples_of_the_tick() {
        assert_eq!(step_seconds(Duration::from_secs(15)), Ok(15));
        assert_eq!(step_seconds(Duration::from_secs(60)), Ok(60));
        assert!(step_seconds(Duration::from_secs(20)).unwrap_err().contains("multiple of 15s"));
        assert!(step_seconds(Duration::from_millis(15_500)).is_err());
        assert!(step_seconds(Duration::ZERO).is_err());
    }

    #[test]
    fn instants_are_on_the_step_grid_within_the_span() {
        let mut o = options(60, 60, false);
        o.end = end() + chrono::Duration::seconds(59);
        let t = instants(&o).unwrap();
        assert_eq!(t.first(), Some(&(end().timestamp() - 3540)));
        assert_eq!(t.last(), Some(&end().timestamp()));
        assert!(t.windows(2).all(|w| w[1] - w[0] == 60));
        assert!(instants(&options(0, 15, false)).unwrap_err().contains("fewer than two samples"));
    }

    #[test]
    fn the_file_is_well_formed_openmetrics_in_order() {
        let s = sim(3);
        let (text, summary) = written(&s, &options(30, 15, true));
        assert!(text.ends_with("# EOF\n"));
        assert_eq!(summary.bytes, text.len() as u64);
        let mut families = Vec::new();
        let mut last_seen: HashMap<String, i64> = HashMap::new();
        let mut current_family = String::new();
        let mut closed: Vec<String> = Vec::new();
        let mut previous_series = String::new();
        let mut samples = 0;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                current_family = rest.split(' ').next().unwrap().to_string();
                assert!(!families.contains(&current_family), "{current_family} typed twice");
                families.push(current_family.clone());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            samples += 1;
            let (series, rest) = line.rsplit_once(' ').unwrap();
            let (series, _value) = series.rsplit_once(' ').unwrap();
            assert!(series.starts_with(&current_family), "{series} outside its family {current_family}");
            let t: i64 = rest.parse().unwrap();
            let group = group_of(series);
            if group != previous_series {
                assert!(!closed.contains(&group), "{group} is not contiguous");
                closed.push(previous_series.clone());
                previous_series = group;
            }
            if let Some(before) = last_seen.insert(series.to_string(), t) {
                assert!(t > before, "{series} goes back in time");
            }
        }
        assert_eq!(
            families,
            [
                "model_requests",
                "model_request_duration_seconds",
                "model_feature_value",
                "model_prediction_score",
                "model_version_info"
            ]
        );
        assert_eq!(summary.samples, samples);
        assert_eq!(summary.series, last_seen.len() as u64);
    }

    /// A series' group: a histogram point's buckets, `_sum` and `_count` belong together.
    fn group_of(series: &str) -> String {
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let name = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        let labels: Vec<&str> = labels.trim_end_matches('}').split(',').filter(|l| !l.starts_with("le=")).collect();
        format!("{name}{{{}}}", labels.join(","))
    }

    #[test]
    fn values_are_cumulative_from_the_first_sample() {
        let s = sim(2);
        let (text, summary) = written(&s, &options(60, 60, false));
        let origin = instant(summary.first);
        let t = end() - chrono::Duration::minutes(7);
        let line = format!(
            "model_requests_total{{model=\"fraud-detector\",version=\"9\",outcome=\"error\"}} {} {}",
            s.requests(0, 0, Outcome::Error, origin, t),
            t.timestamp()
        );
        assert!(text.contains(&line), "{line}");
        let zero = format!(
            "model_requests_total{{model=\"fraud-detector\",version=\"9\",outcome=\"success\"}} 0 {}",
            summary.first
        );
        assert!(text.contains(&zero));
        assert!(!text.contains("model_feature_value"), "--no-features leaves features out");
        // The canary appears 15 minutes before the end, and not before.
        let canary: Vec<i64> = text
            .lines()
            .filter(|l| l.starts_with("model_version_info{model=\"fraud-detector\",version=\"10\""))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(canary.first(), Some(&(end().timestamp() - 900)));
        assert_eq!(canary.len(), 16);
    }

    #[test]
    fn a_coarser_step_samples_the_same_counters() {
        let s = sim(1);
        let (fine, _) = written(&s, &options(60, 15, false));
        let (coarse, summary) = written(&s, &options(60, 60, false));
        for line in coarse.lines().filter(|l| l.starts_with("model_requests_total")) {
            assert!(fine.contains(line), "{line}");
        }
        assert!(summary.samples > 0);
    }
}
