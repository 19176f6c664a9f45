//! The simulated fleet in the generic preset's metric names, written as the
//! Prometheus text exposition format 0.0.4 (what `/metrics` serves) or as
//! OpenMetrics 1.0 text (what `promtool tsdb create-blocks-from openmetrics`
//! backfills).
//!
//! Numbers are written the way the Go client (client_golang) writes the text
//! format: `strconv.FormatFloat(x, 'g', -1, 64)`, so `le="1"`, `le="0.005"`,
//! `le="+Inf"`. The Go client's OpenMetrics encoder writes `le="1.0"`
//! instead, and Prometheus 2.x stores the two spellings as different series,
//! so both formats here use the same spelling: history backfilled from this
//! module and samples scraped from the lab then land in the same series.
//!
//! `_sum` of a histogram is an estimate (the simulator draws bucket counts,
//! not single observations): each observation counts at the middle of its
//! bucket, the lowest bucket is taken to be as wide as the next one (but
//! not to reach below 0 when its bound is positive), and observations
//! above the highest finite bound count at that bound. For
//! features whose values can be negative the sum can therefore go down.

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::counters::{self, Cumulative, FleetCounters};
use super::sim::Simulator;

/// `Content-Type` of the text format 0.0.4, as the Go client sends it.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (timestamps, if any, in milliseconds).
    Text,
    /// OpenMetrics 1.0 text (timestamps in seconds, ends with `# EOF`).
    OpenMetrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A metric family: `name` is the family's name (a counter's samples add `_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    /// Plain text without `\`, `"` or newlines, so it needs no escaping.
    pub help: &'static str,
}

pub const REQUESTS: Family = Family {
    name: "model_requests",
    kind: Kind::Counter,
    help: "Prediction requests served, by outcome (success or error).",
};
pub const REQUEST_DURATION: Family = Family {
    name: "model_request_duration_seconds",
    kind: Kind::Histogram,
    help: "Time to serve a prediction request. _sum is estimated from bucket midpoints.",
};
pub const FEATURE_VALUE: Family = Family {
    name: "model_feature_value",
    kind: Kind::Histogram,
    help: "Values of a model input feature. _sum is estimated from bucket midpoints.",
};
pub const PREDICTION_SCORE: Family = Family {
    name: "model_prediction_score",
    kind: Kind::Histogram,
    help: "Scores the model predicted. _sum is estimated from bucket midpoints.",
};
/// vigil's extension to the generic preset: one series per deployed version.
pub const VERSION_INFO: Family = Family {
    name: "model_version_info",
    kind: Kind::Gauge,
    help: "1 for every deployed model version, with its registry aliases and environment.",
};

/// Label pairs in the order they are written; values are escaped on output.
pub type Labels<'a> = [(&'a str, &'a str)];

/// Writes families and samples in one format and counts the sample lines.
pub struct Encoder<W: Write> {
    out: W,
    format: Format,
    samples: u64,
}

impl<W: Write> Encoder<W> {
    pub fn new(out: W, format: Format) -> Self {
        Encoder { out, format, samples: 0 }
    }

    /// Sample lines written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// `# HELP` and `# TYPE`: once per family, before its samples, which
    /// must not be interleaved with another family's.
    pub fn family(&mut self, family: &Family) -> io::Result<()> {
        // The text format names a counter by its sample name; OpenMetrics by the family.
        let name = match (self.format, family.kind) {
            (Format::Text, Kind::Counter) => format!("{}_total", family.name),
            _ => family.name.to_string(),
        };
        let kind = match family.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        writeln!(self.out, "# HELP {name} {}\n# TYPE {name} {kind}", family.help)
    }

    /// One counter sample (`name_total`) at `at`, or untimestamped.
    pub fn counter(&mut self, family: &Family, labels: &Labels, value: u64, at: Option<i64>) -> io::Result<()> {
        debug_assert_eq!(family.kind, Kind::Counter);
        self.sample(family.name, "_total", labels, None, &value.to_string(), at)
    }

    pub fn gauge(&mut self, family: &Family, labels: &Labels, value: f64, at: Option<i64>) -> io::Result<()> {
        debug_assert_eq!(family.kind, Kind::Gauge);
        self.sample(family.name, "", labels, None, &format_float(value), at)
    }

    /// One histogram point: `_bucket` per bound and `+Inf`, then `_sum` and
    /// `_count`. `cumulative` holds one count per bound, then the `+Inf` count.
    /// Returns the number of sample lines (series) written.
    pub fn histogram(
        &mut self,
        family: &Family,
        labels: &Labels,
        bounds: &[f64],
        cumulative: &[u64],
        at: Option<i64>,
    ) -> io::Result<u64> {
        debug_assert_eq!(family.kind, Kind::Histogram);
        debug_assert_eq!(bounds.len() + 1, cumulative.len());
        let les = bounds.iter().copied().chain([f64::INFINITY]);
        for (le, count) in les.zip(cumulative) {
            self.sample(family.name, "_bucket", labels, Some(&format_float(le)), &count.to_string(), at)?;
        }
        let count = *cumulative.last().expect("a +Inf bucket");
        self.sample(family.name, "_sum", labels, None, &format_float(estimated_sum(bounds, cumulative)), at)?;
        self.sample(family.name, "_count", labels, None, &count.to_string(), at)?;
        Ok(cumulative.len() as u64 + 2)
    }

    /// Ends the exposition (`# EOF` for OpenMetrics) and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == Format::OpenMetrics {
            writeln!(self.out, "# EOF")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn sample(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &Labels,
        le: Option<&str>,
        value: &str,
        at: Option<i64>,
    ) -> io::Result<()> {
        let out = &mut self.out;
        write!(out, "{name}{suffix}")?;
        let mut pairs = labels.iter().copied().chain(le.map(|le| ("le", le)));
        if let Some((key, value)) = pairs.next() {
            write!(out, "{{{key}=\"{}\"", escape_label_value(value))?;
            for (key, value) in pairs {
                write!(out, ",{key}=\"{}\"", escape_label_value(value))?;
            }
            write!(out, "}}")?;
        }
        write!(out, " {value}")?;
        match (at, self.format) {
            (Some(seconds), Format::OpenMetrics) => write!(out, " {seconds}")?,
            (Some(seconds), Format::Text) => write!(out, " {}", seconds * 1000)?,
            (None, _) => {}
        }
        writeln!(out)?;
        self.samples += 1;
        Ok(())
    }
}

/// A label value as the exposition formats require: `\` → `\\`, `"` → `\"`,
/// newline → `\n`.
pub fn escape_label_value(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return value.into();
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.into()
}

/// A float as Go's `strconv.FormatFloat(x, 'g', -1, 64)` writes it (what the
/// Go client writes for values and `le`): the shortest digits that read back
/// exactly, in exponent form (`1e+06`, `1e-05`) when the decimal exponent is
/// below -4 or at least 6; `+Inf`, `-Inf`, `NaN`.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest digits: `1.5e-5`, `1e6`, `0e0`.
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    if (-4..6).contains(&exponent) {
        // Rust's `{}` is shortest round-trip and never uses an exponent.
        format!("{x}")
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// The estimated sum of the observations in a cumulative histogram (see the
/// module comment for the assumptions).
pub fn estimated_sum(bounds: &[f64], cumulative: &[u64]) -> f64 {
    let Some((&highest, _)) = bounds.split_last() else { return 0.0 };
    let first_width = match bounds {
        [a, b, ..] => b - a,
        _ => bounds[0].abs(),
    };
    let mut sum = 0.0;
    let mut below = 0;
    // As in histogram_quantile, a positive lowest bound means no negative observations.
    let mut lower = bounds[0] - first_width;
    if bounds[0] > 0.0 {
        lower = lower.max(0.0);
    }
    for (i, &count) in cumulative.iter().enumerate() {
        let in_bucket = count.saturating_sub(below) as f64;
        let value = match bounds.get(i) {
            Some(&upper) => (lower + upper) / 2.0,
            None => highest,
        };
        sum += in_bucket * value;
        below = count.max(below);
        if let Some(&upper) = bounds.get(i) {
            lower = upper;
        }
    }
    sum
}

/// `model` and `version` of a counted version.
fn version_labels<'a>(simulator: &'a Simulator, c: &Cumulative) -> [(&'static str, &'a str); 2] {
    let model = &simulator.models()[c.model()];
    [("model", &model.name), ("version", &model.versions[c.version()].version)]
}

/// `model_version_info` of one version: its aliases comma-joined.
pub fn info_labels(simulator: &Simulator, model: usize, version: usize) -> [(&'static str, String); 4] {
    let m = &simulator.models()[model];
    let v = &m.versions[version];
    [
        ("model", m.name.clone()),
        ("version", v.version.clone()),
        ("aliases", v.aliases.join(",")),
        ("environment", m.environment.clone()),
    ]
}

/// The whole fleet at `at`, every family once, versions that do not exist
/// at `at` left out. `counters` must have been advanced to `at`.
pub fn write_fleet<W: Write>(
    encoder: &mut Encoder<W>,
    simulator: &Simulator,
    counters: &FleetCounters,
    at: DateTime<Utc>,
) -> io::Result<()> {
    let live: Vec<_> = counters
        .versions
        .iter()
        .filter(|v| simulator.version_exists(v.requests.model(), v.requests.version(), at))
        .collect();
    encoder.family(&REQUESTS)?;
    for v in &live {
        let [model, version] = version_labels(simulator, &v.requests);
        for (outcome, value) in [("success", v.requests.successes()), ("error", v.requests.errors())] {
            encoder.counter(&REQUESTS, &[model, version, ("outcome", outcome)], value, None)?;
        }
    }
    encoder.family(&REQUEST_DURATION)?;
    for v in &live {
        write_histogram(encoder, &REQUEST_DURATION, simulator, &v.requests, None)?;
    }
    encoder.family(&FEATURE_VALUE)?;
    for v in &live {
        for f in &v.features {
            write_histogram(encoder, &FEATURE_VALUE, simulator, f, None)?;
        }
    }
    encoder.family(&PREDICTION_SCORE)?;
    for v in &live {
        write_histogram(encoder, &PREDICTION_SCORE, simulator, &v.scores, None)?;
    }
    encoder.family(&VERSION_INFO)?;
    for v in &live {
        let labels = info_labels(simulator, v.requests.model(), v.requests.version());
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        encoder.gauge(&VERSION_INFO, &pairs, 1.0, None)?;
    }
    Ok(())
}

/// One version's histogram of `c`'s part, with the `feature` label for features.
pub fn write_histogram<W: Write>(
    encoder: &mut Encoder<W>,
    family: &Family,
    simulator: &Simulator,
    c: &Cumulative,
    at: Option<i64>,
) -> io::Result<u64> {
    let [model, version] = version_labels(simulator, c);
    let bounds = counters::bounds(simulator, c.model(), c.part());
    match c.part() {
        counters::Part::Feature(f) => {
            let feature = simulator.models()[c.model()].features[f].name.as_str();
            encoder.histogram(family, &[model, version, ("feature", feature)], bounds, c.buckets(), at)
        }
        _ => encoder.histogram(family, &[model, version], bounds, c.buckets(), at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Outcome;
    use crate::lab::counters::Part;
    use crate::lab::fixtures::at;

    fn sim() -> Simulator {
        crate::lab::fixtures::bad_deploy(4)
    }

    fn text_at(s: &Simulator, origin: DateTime<Utc>, t: DateTime<Utc>) -> String {
        let mut counters = FleetCounters::new(s, origin);
        counters.advance(s, t);
        let mut encoder = Encoder::new(Vec::new(), Format::Text);
        write_fleet(&mut encoder, s, &counters, t).unwrap();
        String::from_utf8(encoder.finish().unwrap()).unwrap()
    }

    fn parse(text: &str) -> prometheus_parse::Scrape {
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
    }

    #[test]
    fn floats_are_written_as_the_go_client_writes_them() {
        let cases = [
            (0.005, "0.005"),
            (1.0, "1"),
            (2.5, "2.5"),
            (10.0, "10"),
            (0.0, "0"),
            (-0.5, "-0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e100, "1e+100"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (x, expected) in cases {
            assert_eq!(format_float(x), expected, "{x:?}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("fraud-detector"), "fraud-detector");
        assert_eq!(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        let mut encoder = Encoder::new(Vec::new(), Format::OpenMetrics);
        encoder.family(&VERSION_INFO).unwrap();
        encoder.gauge(&VERSION_INFO, &[("model", "x\"}\n"), ("aliases", "")], 1.0, Some(1_763_647_200)).unwrap();
        let text = String::from_utf8(encoder.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "# HELP model_version_info 1 for every deployed model version, with its registry aliases and environment.\n\
             # TYPE model_version_info gauge\n\
             model_version_info{model=\"x\\\"}\\n\",aliases=\"\"} 1 1763647200\n\
             # EOF\n"
        );
    }

    #[test]
    fn counter_family_names_follow_each_format() {
        for (format, header) in [
            (Format::Text, "# TYPE model_requests_total counter"),
            (Format::OpenMetrics, "# TYPE model_requests counter"),
        ] {
            let mut encoder = Encoder::new(Vec::new(), format);
            encoder.family(&REQUESTS).unwrap();
            encoder.counter(&REQUESTS, &[("model", "m")], 7, Some(60)).unwrap();
            let text = String::from_utf8(encoder.finish().unwrap()).unwrap();
            assert!(text.contains(header), "{text}");
            let stamp = if format == Format::Text { "60000" } else { "60" };
            assert!(text.contains(&format!("model_requests_total{{model=\"m\"}} 7 {stamp}\n")), "{text}");
        }
    }

    #[test]
    fn the_exposition_parses_and_agrees_with_the_simulator() {
        let s = sim();
        let origin = at("2026-11-20T13:00:00Z");
        let t = at("2026-11-20T14:00:00Z");
        let text = text_at(&s, origin, t);
        let scrape = parse(&text);
        let sample_lines = text.lines().filter(|l| !l.starts_with('#')).count();
        let parsed: usize = scrape
            .samples
            .iter()
            .map(|s| match &s.value {
                prometheus_parse::Value::Histogram(b) => b.len(),
                _ => 1,
            })
            .sum();
        assert_eq!(parsed, sample_lines, "every sample line parses");

        let fraud = &s.models()[0];
        assert_eq!(fraud.versions.len(), 2, "bad-deploy's canary exists at the anchor");
        for (v, version) in fraud.versions.iter().enumerate() {
            let counter = |outcome: &str| {
                scrape
                    .samples
                    .iter()
                    .find(|x| {
                        x.metric == "model_requests_total"
                            && x.labels.get("model") == Some("fraud-detector")
                            && x.labels.get("version") == Some(version.version.as_str())
                            && x.labels.get("outcome") == Some(outcome)
                    })
                    .map(|x| match x.value {
                        prometheus_parse::Value::Counter(c) => c,
                        ref other => panic!("{other:?}"),
                    })
                    .unwrap()
            };
            assert_eq!(counter("success"), s.requests(0, v, Outcome::Success, origin, t) as f64);
            assert_eq!(counter("error"), s.requests(0, v, Outcome::Error, origin, t) as f64);
            let histogram = scrape
                .samples
                .iter()
                .find(|x| {
                    x.metric == "model_request_duration_seconds"
                        && x.labels.get("model") == Some("fraud-detector")
                        && x.labels.get("version") == Some(version.version.as_str())
                })
                .unwrap();
            let prometheus_parse::Value::Histogram(buckets) = &histogram.value else { panic!() };
            let expected = s.latency_buckets(0, v, origin, t);
            assert_eq!(buckets.len(), expected.len());
            for (b, e) in buckets.iter().zip(&expected) {
                assert_eq!((b.less_than, b.count), (e.upper_bound, e.cumulative_count));
            }
        }
        for model in s.models() {
            for feature in &model.features {
                assert!(
                    text.contains(&format!(
                        "model_feature_value_bucket{{model=\"{}\",version=\"{}\",feature=\"{}\",le=\"+Inf\"}}",
                        model.name, model.versions[0].version, feature.name
                    )),
                    "{} {}",
                    model.name,
                    feature.name
                );
            }
        }
        assert!(
            text.contains("model_request_duration_seconds_bucket{model=\"fraud-detector\",version=\"9\",le=\"1\"}")
        );
        assert!(text.contains(
            "model_version_info{model=\"fraud-detector\",version=\"10\",aliases=\"challenger\",environment=\"prod\"} 1\n"
        ));
        assert_eq!(text.matches("# TYPE ").count(), 5);
        for family in [REQUESTS, REQUEST_DURATION, FEATURE_VALUE, PREDICTION_SCORE, VERSION_INFO] {
            let header =
                if family.kind == Kind::Counter { format!("{}_total", family.name) } else { family.name.into() };
            assert_eq!(text.matches(&format!("# TYPE {header} ")).count(), 1, "{}", family.name);
        }
    }

    #[test]
    fn versions_are_absent_before_they_are_deployed() {
        let s = sim();
        let before = at("2026-11-20T13:40:00Z");
        let text = text_at(&s, at("2026-11-20T13:00:00Z"), before);
        assert!(text.contains("version=\"9\""));
        assert!(!text.contains("version=\"10\""), "{text}");
    }

    #[test]
    fn histogram_sums_use_bucket_midpoints() {
        // 2 observations in (0, 0.1], 1 in (0.1, 0.5], 1 above 0.5.
        assert!((estimated_sum(&[0.1, 0.5], &[2, 3, 4]) - (2.0 * 0.05 + 0.3 + 0.5)).abs() < 1e-12);
        // Equal-width buckets: the lowest is as wide as the next.
        assert!((estimated_sum(&[-10.0, 0.0, 10.0], &[1, 1, 2, 2]) - (-15.0 + 5.0)).abs() < 1e-12);
        assert!((estimated_sum(&[300.0, 350.0], &[1, 1, 1]) - 275.0).abs() < 1e-12);
        assert_eq!(estimated_sum(&[1.0], &[0, 0]), 0.0);
        let s = sim();
        let mut c = Cumulative::new(&s, 0, 0, Part::Requests, at("2026-11-20T13:00:00Z"));
        c.advance(&s, at("2026-11-20T14:00:00Z"));
        let mean = estimated_sum(&crate::lab::catalogue::LATENCY_BOUNDS, c.buckets()) / c.count() as f64;
        let median = s.models()[0].versions[0].latency_median_seconds;
        assert!((0.5 * median..2.0 * median).contains(&mean), "mean {mean}, median {median}");
    }
}
