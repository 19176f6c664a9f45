use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

fn vars(filter: &str) -> QueryVars {
    QueryVars { window: Duration::from_secs(300), step: Duration::from_secs(60), filter: filter.to_string() }
}

fn shipped(name: &str) -> Preset {
    Preset::resolve(name, None, &BTreeMap::new()).unwrap_or_else(|ds| panic!("{name}: {}", show(&ds).join("\n")))
}

fn show(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The problems of a user preset file `mine.toml` holding `text`.
fn problems(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.toml"), text).unwrap();
    let found = match Preset::resolve("mine", Some(dir.path()), &BTreeMap::new()) {
        Ok(_) => Vec::new(),
        Err(ds) => show(&ds),
    };
    let prefix = format!("{}/", dir.path().display());
    found.into_iter().map(|line| line.replace(&prefix, "")).collect()
}

#[test]
fn every_shipped_preset_loads_and_describes_itself() {
    assert_eq!(Preset::builtin_names().len(), file::PRESETS.texts.len());
    assert_eq!(Preset::names(None), Preset::builtin_names());
    for name in Preset::builtin_names() {
        let preset = shipped(name);
        assert_eq!(preset.name, *name);
        assert!(!preset.description.is_empty(), "{name} has a description");
        assert!(!preset.model_label.is_empty(), "{name} names its model label");
        assert!(preset.has(Concept::Requests), "{name} has requests");
    }
}

#[test]
fn every_shipped_query_renders_without_a_leftover_placeholder() {
    for name in Preset::builtin_names() {
        let preset = shipped(name);
        for filter in ["", "namespace=\"ml\"", "namespace=\"ml\", cluster=~\"eu-.*\","] {
            for concept in preset.concepts() {
                let query = preset.query(concept, &vars(filter)).unwrap();
                assert!(!query.contains('$'), "{name}.{}: {query}", concept.key());
                assert!(!query.contains("{,"), "{name}.{}: {query}", concept.key());
                assert!(query.contains(filter.trim()), "{name}.{} keeps the filter: {query}", concept.key());
            }
        }
    }
}

#[test]
fn shipped_queries_group_by_the_labels_their_concept_promises() {
    for name in Preset::builtin_names() {
        let preset = shipped(name);
        let by = |labels: &[&str]| format!("by ({})", labels.join(", "));
        let model = preset.model_label.as_str();
        let mut per_version = vec![model];
        per_version.extend(preset.version_label.as_deref());
        let mut per_bucket = per_version.clone();
        per_bucket.push("le");
        for (concept, labels) in [
            (Concept::Requests, &per_version),
            (Concept::Errors, &per_version),
            (Concept::LatencyBuckets, &per_bucket),
            (Concept::LatencyAverage, &per_version),
            (Concept::History, &vec![model]),
        ] {
            if let Some(query) = preset.query(concept, &vars("")) {
                let grouped = format!("sum {}", by(labels));
                assert!(
                    query.trim_start().trim_start_matches('(').starts_with(&grouped),
                    "{name}.{}: {query}",
                    concept.key()
                );
            }
        }
    }
}

#[test]
fn coverage_of_the_shipped_presets() {
    // What each stack exports, as the comments in presets/*.toml explain.
    let expected: &[(&str, &str, Option<&str>, &[Concept])] = {
        use Concept::*;
        &[
            (
                "generic",
                "model",
                Some("version"),
                &[Requests, Errors, LatencyBuckets, LatencyAverage, History, VersionInfo],
            ),
            ("kserve", "model_name", None, &[Requests, LatencyBuckets, LatencyAverage, History]),
            ("seldon", "model", Some("model_internal"), &[Requests, Errors, LatencyAverage, History]),
            ("mlserver", "model", Some("version"), &[Requests, Errors, LatencyAverage, History]),
            ("triton", "model", Some("version"), &[Requests, Errors, LatencyAverage, History]),
            (
                "bentoml",
                "service_name",
                Some("service_version"),
                &[Requests, Errors, LatencyBuckets, LatencyAverage, History],
            ),
            ("torchserve", "model_name", Some("model_version"), &[Requests, LatencyAverage, History]),
            ("ray", "deployment", None, &[Requests, Errors, LatencyBuckets, LatencyAverage, History]),
        ]
    };
    assert_eq!(expected.len(), Preset::builtin_names().len());
    for (name, model, version, concepts) in expected {
        let preset = shipped(name);
        assert_eq!(preset.model_label, *model, "{name}");
        assert_eq!(preset.version_label.as_deref(), *version, "{name}");
        assert_eq!(preset.concepts(), *concepts, "{name}");
        for concept in Concept::ALL {
            assert_eq!(preset.has(concept), concepts.contains(&concept), "{name}.{}", concept.key());
            assert_eq!(preset.query(concept, &vars("")).is_some(), concepts.contains(&concept));
        }
        let unit = if *name == "ray" { 1e-3 } else { 1.0 };
        assert_eq!(preset.le_unit_seconds, unit, "{name}");
    }
}

#[test]
fn generic_renders_the_documented_queries() {
    let generic = shipped("generic");
    let q = |concept| generic.query(concept, &vars("")).unwrap();
    assert_eq!(q(Concept::Requests), "sum by (model, version) (rate(model_requests_total{}[5m]))");
    assert_eq!(q(Concept::Errors), "sum by (model, version) (rate(model_requests_total{outcome=\"error\",}[5m]))");
    assert_eq!(
        q(Concept::LatencyBuckets),
        "sum by (model, version, le) (rate(model_request_duration_seconds_bucket{}[5m]))"
    );
    assert_eq!(q(Concept::History), "sum by (model) (rate(model_requests_total{}[5m]))");
    assert_eq!(q(Concept::VersionInfo), "max by (model, version, aliases, environment) (model_version_info{})");
    let filtered = generic.query(Concept::Errors, &vars("namespace=\"ml\"")).unwrap();
    assert_eq!(
        filtered,
        "sum by (model, version) (rate(model_requests_total{outcome=\"error\",namespace=\"ml\"}[5m]))"
    );
    let short = QueryVars { window: Duration::from_secs(90), ..vars("") };
    assert_eq!(generic.query(Concept::History, &short).unwrap(), "sum by (model) (rate(model_requests_total{}[90s]))");
}

#[test]
fn concepts_a_stack_lacks_are_none() {
    let torchserve = shipped("torchserve");
    assert_eq!(torchserve.query(Concept::Errors, &vars("")), None);
    assert_eq!(torchserve.query(Concept::LatencyBuckets, &vars("")), None);
    assert!(torchserve.query(Concept::LatencyAverage, &vars("")).unwrap().ends_with("/ 1e6"));
    let triton = shipped("triton");
    assert!(!triton.has(Concept::LatencyBuckets));
    let kserve = shipped("kserve");
    assert!(!kserve.has(Concept::Errors));
    assert_eq!(kserve.version_label, None);
}

#[test]
fn config_overrides_replace_add_and_remove_queries() {
    let preset = Preset::resolve(
        "torchserve",
        None,
        &overrides(&[
            ("requests", "sum by ($model, $version) (rate(my_requests_total{$filter}[$window]))"),
            ("errors", "sum by ($model, $version) (rate(my_errors_total{$filter}[$window]))"),
            ("history", ""),
        ]),
    )
    .unwrap();
    let q = |c| preset.query(c, &vars(""));
    assert_eq!(q(Concept::Requests).unwrap(), "sum by (model_name, model_version) (rate(my_requests_total{}[5m]))");
    assert_eq!(q(Concept::Errors).unwrap(), "sum by (model_name, model_version) (rate(my_errors_total{}[5m]))");
    assert_eq!(q(Concept::History), None, "an empty override takes the concept away");
    assert_eq!(q(Concept::LatencyAverage), shipped("torchserve").query(Concept::LatencyAverage, &vars("")));
}

#[test]
fn override_problems_name_the_queries_key() {
    let errors = Preset::resolve(
        "kserve",
        None,
        &overrides(&[("erors", "x"), ("errors", "rate(x{$filter}[$windw])"), ("history", "sum by ($version) (x)")]),
    )
    .unwrap_err();
    assert_eq!(
        show(&errors),
        [
            "config: queries.erors: unknown concept `erors` (did you mean `errors`?)",
            "config: queries.errors: unknown placeholder `$windw` (at character 17) (did you mean `$window`?)",
            "config: queries.history: uses `$version`, but this preset has no `version_label` \
             (leave the version out of this query, or set version_label)",
        ]
    );
    let no_requests = Preset::resolve("generic", None, &overrides(&[("requests", "")])).unwrap_err();
    assert_eq!(
        show(&no_requests),
        ["config: queries.requests: takes `requests` away, but without a request rate there is nothing to show"]
    );
}

#[test]
fn user_files_merge_over_shipped_presets_or_stand_alone() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("kserve.toml", "[queries]\nerrors = 'sum by ($model) (rate(my_5xx_total{$filter}[$window]))'\n");
    write(
        "mytriton.toml",
        "extends = \"triton\"\nversion_label = \"\"\n[queries]\nrequests = 'sum by ($model) (x)'\nerrors = ''\nlatency_average = ''\nhistory = ''\n",
    );
    write(
        "inhouse.toml",
        "description = \"our gateway\"\nmodel_label = \"svc\"\n[queries]\nrequests = 'sum by ($model) (rate(gw_requests_total{$filter}[$window]))'\n",
    );
    let dir = dir.path();

    let kserve = Preset::resolve("kserve", Some(dir), &BTreeMap::new()).unwrap();
    assert_eq!(kserve.query(Concept::Errors, &vars("")).unwrap(), "sum by (model_name) (rate(my_5xx_total{}[5m]))");
    assert_eq!(kserve.description, shipped("kserve").description, "what the user file leaves out stays");

    let mytriton = Preset::resolve("mytriton", Some(dir), &BTreeMap::new()).unwrap();
    assert_eq!((mytriton.model_label.as_str(), mytriton.version_label.as_deref()), ("model", None));
    assert_eq!(mytriton.concepts(), [Concept::Requests]);

    let inhouse = Preset::resolve("inhouse", Some(dir), &BTreeMap::new()).unwrap();
    assert_eq!(inhouse.concepts(), [Concept::Requests], "a new name does not inherit another stack's queries");
    assert_eq!((inhouse.model_label.as_str(), inhouse.description.as_str()), ("svc", "our gateway"));

    let path = |n: &str| dir.join(n).display().to_string();
    let mut expected: Vec<(String, String)> =
        Preset::builtin_names().iter().map(|n| (n.to_string(), "builtin".to_string())).collect();
    expected[1].1 = path("kserve.toml");
    expected.push(("inhouse".into(), path("inhouse.toml")));
    expected.push(("mytriton".into(), path("mytriton.toml")));
    assert_eq!(Preset::available(Some(dir)), expected);
    assert_eq!(Preset::names(Some(dir)).last().map(String::as_str), Some("mytriton"));
}

#[test]
fn bad_placeholders_are_reported_at_their_line_and_column() {
    assert_eq!(
        problems(
            "model_label = \"model\"\n[queries]\nrequests = '''\nsum by ($model) (\n  rate(x{$filter}[$windw]))'''\n\
             errors = 'rate(x{$filter,code=\"500\"}[$window])'\n"
        ),
        [
            "mine.toml:5:19: queries.requests: unknown placeholder `$windw` (did you mean `$window`?)",
            "mine.toml:6:18: queries.errors: `$filter` must be the last matcher inside braces, as in \
             `metric{$filter}` or `metric{code=\"500\",$filter}`, so that an empty filter still leaves valid PromQL",
        ]
    );
}

#[test]
fn file_problems_name_key_and_place() {
    assert_eq!(
        problems(
            "model_lable = \"m\"\nrequests = 'x'\nversion_label = \"model-version\"\nlatency_bucket_unit = \"sec\"\n\
             [queries]\nlatency = 'x'\nhistory = 3\n"
        ),
        [
            "mine.toml:1:1: model_lable: unknown key `model_lable` (did you mean `model_label`?)",
            "mine.toml:2:1: requests: unknown key `requests` (queries go under [queries])",
            "mine.toml:3:17: version_label: `model-version` is not a label name: use letters, digits and `_`",
            "mine.toml:4:23: latency_bucket_unit: unknown unit `sec` (the `le` bounds are in \"s\", \"ms\" or \"us\")",
            "mine.toml:6:1: queries.latency: unknown concept `latency` (concepts are requests, errors, \
             latency_buckets, latency_average, history, version_info)",
            "mine.toml:7:11: queries.history: expected a string, found integer",
            "mine.toml: missing `model_label`: the label that names the model, e.g. \"model\"",
        ]
    );
}

#[test]
fn version_placeholder_needs_a_version_label() {
    assert_eq!(
        problems("model_label = \"m\"\n[queries]\nrequests = 'sum by ($model, $version) (x{$filter})'\n"),
        ["mine.toml:3:12: queries.requests: uses `$version`, but this preset has no `version_label` \
          (leave the version out of this query, or set version_label)"]
    );
    assert_eq!(
        problems("extends = \"generic\"\nversion_label = \"\"\n").len(),
        5,
        "every generic query but history uses $version"
    );
}

#[test]
fn unknown_and_syntax_errors() {
    assert_eq!(
        show(&Preset::resolve("kserv", None, &BTreeMap::new()).unwrap_err()),
        ["builtin:presets/kserv.toml: no preset named `kserv`; there are generic, kserve, seldon, mlserver, triton, \
          bentoml, torchserve, ray (did you mean `kserve`?)"]
    );
    let found = problems("[queries\nrequests = 'x'\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("mine.toml:1:"), "{found:#?}");
    assert_eq!(
        problems("extends = \"tritn\"\nmodel_label = \"m\"\n[queries]\nrequests = 'x'\n"),
        ["mine.toml:1:11: extends: no shipped preset named `tritn` (did you mean `triton`?)"]
    );
}

#[test]
fn concept_keys_round_trip() {
    for (i, concept) in Concept::ALL.into_iter().enumerate() {
        assert_eq!(concept.key(), CONCEPT_KEYS[i]);
        assert_eq!(Concept::from_key(concept.key()), Some(concept));
    }
    assert_eq!(Concept::from_key("latency"), None);
}
