//! The MLflow registry client against a real `mlflow server` (3.17): paging,
//! aliases, tags, statuses, hostile names, moving aliases, MLflow's own
//! error messages, and servers that cannot be reached or do not answer.
//!
//! One server is shared by every test here (a start costs ~5 s and
//! ~480 MiB): it lives in a `static`, and its watchdog stops it when this
//! test process exits (see `support::mlflow`). Tests run in parallel, so
//! each uses model names of its own; only the hostile-name test uses
//! characters other than `[a-z0-9-]`, so its filters can be checked exactly.

mod support;

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use support::mlflow::{Mlflow, processes_in_group};
use support::mlflow_seed::NewVersion;
use support::services::{free_port, http, wait_for};
use vigil::config::Endpoint;
use vigil::core::registry::{RegisteredModel, VersionStatus};
use vigil::sources::RegistrySource;
use vigil::sources::http::Limits;
use vigil::sources::mlflow::MlflowRegistry;

static MLFLOW: LazyLock<Mlflow> = LazyLock::new(Mlflow::start);

fn client(url: &str, limits: Limits) -> MlflowRegistry {
    MlflowRegistry::new(&Endpoint { url: url.to_string(), ..Endpoint::default() }, limits).unwrap()
}

fn registry() -> MlflowRegistry {
    client(&MLFLOW.url(), Limits::default())
}

/// Tests are plain threads (the seed helpers block); each async call gets
/// a small runtime of its own.
fn run<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn names(models: &[RegisteredModel]) -> Vec<&str> {
    models.iter().map(|m| m.name.as_str()).collect()
}

fn versions(model: &RegisteredModel) -> Vec<&str> {
    model.versions.iter().map(|v| v.version.as_str()).collect()
}

#[test]
fn seven_models_are_read_three_at_a_time() {
    let seed = MLFLOW.seed();
    for i in 1..=7 {
        let name = format!("paging-{i}");
        seed.model(&name);
        seed.versions(&name, if i == 7 { 3 } else { 1 });
    }

    let registry = registry().with_page_size(3);
    let models = run(registry.models(Some("paging-"))).unwrap();
    assert_eq!(names(&models), ["paging-1", "paging-2", "paging-3", "paging-4", "paging-5", "paging-6", "paging-7"]);
    assert!(models[..6].iter().all(|m| versions(m) == ["1"]), "{models:#?}");
    assert_eq!(versions(&models[6]), ["3", "2", "1"]);
    assert_eq!(models[6].versions[2].source.as_deref(), Some("s3://bucket/m/1"));
    // Pages of 3,3,1 models and 3,3,3 versions (a full last page has no token).
    assert_eq!(registry.requests_sent(), 3 + 3, "two searches, paged; no request per model");

    let registry = registry.with_page_size(2);
    let before = registry.requests_sent();
    let model = run(registry.model("paging-7")).unwrap();
    assert_eq!(versions(&model), ["3", "2", "1"]);
    assert_eq!(registry.requests_sent() - before, 1 + 2, "one get, two pages of versions");
}

#[test]
fn aliases_tags_descriptions_and_sources_are_read() {
    let seed = MLFLOW.seed();
    seed.model_with("details", "Scores card payments", &[("team", "risk"), ("tier", "1")]);
    let first = NewVersion {
        description: Some("first cut".into()),
        run_link: Some("http://runs.example/1".into()),
        tags: vec![("validated".into(), "yes".into())],
        ..NewVersion::numbered(1)
    };
    seed.version("details", first);
    seed.version("details", NewVersion::numbered(2));
    seed.version("details", NewVersion::numbered(3));
    seed.alias("details", "champion", "1");
    seed.alias("details", "challenger", "3");
    seed.model("details-bare");

    // The premise: MLflow's versions search does not say which aliases
    // point at a version, so vigil must take them from the model.
    let raw: serde_json::Value = http()
        .get(format!("{}/api/2.0/mlflow/model-versions/search", MLFLOW.url()))
        .query(&[("filter", "name = 'details'")])
        .send()
        .and_then(|r| r.json())
        .unwrap();
    let raw_versions = raw["model_versions"].as_array().unwrap();
    assert_eq!(raw_versions.len(), 3);
    assert!(raw_versions.iter().all(|v| v.get("aliases").is_none()), "{raw}");

    let listed = run(registry().models(Some("details"))).unwrap();
    assert_eq!(names(&listed), ["details", "details-bare"]);
    let one = run(registry().model("details")).unwrap();
    assert_eq!(listed[0], one, "listing and reading one model give the same facts");
    // Unfiltered (other tests' models are there too), and "" is no filter.
    for everything in [None, Some("")] {
        let all = run(registry().models(everything)).unwrap();
        assert!(all.contains(&one) && all.contains(&listed[1]), "{everything:?}: {:?}", names(&all));
    }

    assert_eq!(one.description.as_deref(), Some("Scores card payments"));
    assert_eq!(one.tags, [("team".to_string(), "risk".to_string()), ("tier".into(), "1".into())].into());
    assert_eq!(one.alias("champion"), Some("1"));
    assert_eq!(one.alias("challenger"), Some("3"));
    assert_eq!(versions(&one), ["3", "2", "1"]);
    let (v3, v2, v1) = (one.version("3").unwrap(), one.version("2").unwrap(), one.version("1").unwrap());
    assert_eq!(v1.aliases, ["champion"]);
    assert_eq!(v3.aliases, ["challenger"]);
    assert!(v2.aliases.is_empty());
    assert_eq!(v1.description.as_deref(), Some("first cut"));
    assert_eq!(v2.description, None, "MLflow's \"\" is no description");
    assert_eq!(v1.run_link.as_deref(), Some("http://runs.example/1"));
    assert_eq!((v2.run_link.as_ref(), v2.run_id.as_ref()), (None, None));
    assert_eq!(v1.source.as_deref(), Some("s3://bucket/m/1"));
    assert_eq!(v3.source.as_deref(), Some("s3://bucket/m/3"));
    assert_eq!(v1.tags, [("validated".to_string(), "yes".to_string())].into());
    assert!(v2.tags.is_empty());
    assert_eq!(v1.stage.as_deref(), Some("None"), "the deprecated stage, as MLflow names it");
    assert_eq!(v1.status, VersionStatus::Ready);
    let (created, updated) = (v1.created_ms.unwrap(), v1.updated_ms.unwrap());
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert!(created > now_ms - 600_000 && created <= now_ms && updated >= created, "{created} {updated}");

    let bare = &listed[1];
    assert_eq!((bare.description.as_ref(), bare.tags.len(), bare.aliases.len()), (None, 0, 0));
    assert!(bare.versions.is_empty());
}

#[test]
fn version_statuses_are_read_as_mlflow_serves_them() {
    let seed = MLFLOW.seed();
    seed.model("statuses");
    seed.versions("statuses", 3);
    seed.status("statuses", "2", "FAILED_REGISTRATION", "artifact copy failed");
    seed.status("statuses", "3", "PENDING_REGISTRATION", "");

    let model = run(registry().model("statuses")).unwrap();
    let status = |v: &str| model.version(v).map(|v| (v.status.clone(), v.status_message.clone()));
    assert_eq!(status("1"), Some((VersionStatus::Ready, None)));
    assert_eq!(status("2"), Some((VersionStatus::FailedRegistration, Some("artifact copy failed".into()))));
    assert_eq!(status("3"), Some((VersionStatus::PendingRegistration, None)));
    assert_eq!(model.highest_ready_below("3").map(|v| v.version.as_str()), Some("1"));
}

/// Names built to break quoting, LIKE patterns, shells, paths and terminals.
const HOSTILE: [&str; 20] = [
    "it's",
    "say \"hi\"",
    "both ' and \"",
    "x' OR '1'='1",
    "O'Brien's \"model\" v1.2",
    "100%",
    "%2F",
    "a_b",
    "axb",
    "semi;colon",
    "$(touch pwned)",
    "back\\slash",
    "ends with \\",
    "ünïcødé 模型 🚀",
    "a..b",
    " padded ",
    "line\nbreak",
    "\u{1b}[31mred\u{1b}[0m",
    "[brackets]",
    "-- comment",
];

#[test]
fn hostile_names_round_trip_and_filters_match_exactly() {
    let seed = MLFLOW.seed();
    for name in HOSTILE {
        seed.model(name);
        seed.versions(name, 1);
        seed.alias(name, "champion", "1");
        seed.model_tag(name, "echo", name);
    }
    // Names that could be paths never get in: MLflow refuses them.
    for refused in ["../x", "..", "a/b", "c:d"] {
        assert!(seed.try_model(refused).is_err(), "{refused:?} was accepted");
    }

    let registry = registry();
    for name in HOSTILE {
        let model = run(registry.model(name)).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(model.name, name);
        assert_eq!(versions(&model), ["1"], "{name:?}");
        assert_eq!(model.versions[0].aliases, ["champion"], "{name:?}");
        assert_eq!(model.tags["echo"], name);
    }

    // `_` must not match "axb", `%` not everything, `'` not a syntax error.
    let needles = [
        "'",
        "\"",
        "' and \"",
        "%",
        "_",
        "\\",
        ";",
        "$(",
        "模型",
        "..",
        " ",
        "\n",
        "\u{1b}[",
        "[",
        "-- ",
        "'1'='1",
        "O'Brien's \"",
        "\\slash",
    ];
    for needle in needles {
        let mut expected: Vec<&str> = HOSTILE.iter().copied().filter(|n| n.contains(needle)).collect();
        expected.sort();
        assert!(!expected.is_empty(), "{needle:?} tests nothing");
        let found = run(registry.models(Some(needle))).unwrap_or_else(|e| panic!("{needle:?}: {e}"));
        assert_eq!(names(&found), expected, "models whose names contain {needle:?}");
        assert!(found.iter().all(|m| m.alias("champion") == Some("1") && versions(m) == ["1"]), "{found:#?}");
    }
}

#[test]
fn set_alias_moves_the_alias_and_moves_it_back() {
    let seed = MLFLOW.seed();
    seed.model("alias-moves");
    seed.versions("alias-moves", 3);
    let registry = registry();

    run(registry.set_alias("alias-moves", "champion", "2")).unwrap();
    let model = run(registry.model("alias-moves")).unwrap();
    assert_eq!(model.alias("champion"), Some("2"));

    run(registry.set_alias("alias-moves", "champion", "3")).unwrap();
    let model = run(registry.model("alias-moves")).unwrap();
    assert_eq!(model.alias("champion"), Some("3"));
    assert_eq!(model.version("3").unwrap().aliases, ["champion"]);
    assert!(model.version("2").unwrap().aliases.is_empty(), "an alias points at one version");

    // A rollback is the same call with the earlier version.
    run(registry.set_alias("alias-moves", "champion", "2")).unwrap();
    let listed = run(registry.models(Some("alias-moves"))).unwrap();
    assert_eq!(listed[0].alias("champion"), Some("2"));
}

#[test]
fn model_and_version_tags_are_set_overwritten_and_deleted() {
    let seed = MLFLOW.seed();
    seed.model("tagged");
    seed.versions("tagged", 2);
    let registry = registry();

    run(registry.set_model_tag("tagged", "owner", "risk-team")).unwrap();
    run(registry.set_model_tag("tagged", "owner", "fraud-team")).unwrap();
    run(registry.set_version_tag("tagged", "1", "vigil.previous_champion", "true")).unwrap();
    let model = run(registry.model("tagged")).unwrap();
    assert_eq!(model.tags, [("owner".to_string(), "fraud-team".to_string())].into());
    assert_eq!(model.version("1").unwrap().tags["vigil.previous_champion"], "true");
    assert!(model.version("2").unwrap().tags.is_empty());

    run(registry.delete_model_tag("tagged", "owner")).unwrap();
    assert!(run(registry.model("tagged")).unwrap().tags.is_empty());
    // MLflow answers {} for a tag that is not there: not an error.
    run(registry.delete_model_tag("tagged", "owner")).unwrap();
    run(registry.delete_model_tag("tagged", "never-set")).unwrap();

    let error = run(registry.delete_model_tag("tagged-missing", "owner")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "mlflow {}: delete tag \"owner\" of \"tagged-missing\": RESOURCE_DOES_NOT_EXIST: Registered Model with name=tagged-missing not found",
            MLFLOW.url()
        )
    );
}

#[test]
fn a_missing_model_is_reported_in_mlflows_words() {
    let registry = registry();
    let error = run(registry.model("missing-model")).unwrap_err();
    assert_eq!(error.source_name, format!("mlflow {}", MLFLOW.url()));
    assert_eq!(error.source_name, registry.name());
    assert_eq!(
        error.message,
        "get registered model \"missing-model\": RESOURCE_DOES_NOT_EXIST: Registered Model with name=missing-model not found"
    );

    // MLflow repeats the name in its message: nothing hostile gets through.
    let error = run(registry.model("missing-\u{1b}]52;c;ZXZpbA==\u{7}x")).unwrap_err();
    assert!(error.message.contains("RESOURCE_DOES_NOT_EXIST: Registered Model with name=missing-"), "{error}");
    assert!(!error.to_string().contains(['\u{1b}', '\u{7}']), "{error:?}");
}

#[test]
fn a_missing_version_is_reported_in_mlflows_words() {
    let seed = MLFLOW.seed();
    seed.model("one-version");
    seed.versions("one-version", 1);
    let registry = registry();

    let error = run(registry.set_alias("one-version", "champion", "7")).unwrap_err();
    assert_eq!(
        error.message,
        "set alias \"champion\" of \"one-version\" to version \"7\": RESOURCE_DOES_NOT_EXIST: Model Version (name=one-version, version=7) not found"
    );
    let error = run(registry.set_version_tag("one-version", "7", "k", "v")).unwrap_err();
    assert_eq!(
        error.message,
        "set tag \"k\" of \"one-version\" version \"7\": RESOURCE_DOES_NOT_EXIST: Model Version (name=one-version, version=7) not found"
    );
    let error = run(registry.set_alias("one-version", "champion", "latest")).unwrap_err();
    assert!(
        error.message.ends_with("INVALID_PARAMETER_VALUE: Parameter 'version' must be an integer, got 'latest'."),
        "{error}"
    );
    assert_eq!(run(registry.model("one-version")).unwrap().aliases.len(), 0, "nothing was changed");
}

#[test]
fn an_unreachable_server_fails_fast_and_writes_are_sent_once() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let registry = client(&url, Limits::default());

    let start = Instant::now();
    let error = run(registry.models(None)).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    assert_eq!(error.source_name, format!("mlflow {url}"));
    assert!(error.message.starts_with("search registered models: cannot connect: "), "{error}");
    assert!(error.message.contains("Connection refused"), "{error}");
    assert_eq!(registry.requests_sent(), 2 * 3, "both searches: one attempt and two retries each");

    let before = registry.requests_sent();
    let error = run(registry.set_alias("m", "champion", "1")).unwrap_err();
    assert!(error.message.contains("cannot connect"), "{error}");
    assert_eq!(registry.requests_sent() - before, 1, "a change is never repeated");
}

#[test]
fn a_server_that_never_answers_times_out_quickly() {
    // The kernel accepts connections into the backlog; nobody ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let registry = client(&url, Limits { timeout: Duration::from_millis(500), ..Limits::default() });

    let start = Instant::now();
    let error = run(registry.model("fraud")).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    assert_eq!(error.to_string(), format!("mlflow {url}: get registered model \"fraud\": no answer within 500ms"));
}

#[test]
fn the_shared_server_stops_when_the_test_process_exits() {
    // A child test process starts a server kept in a static (never
    // dropped, like MLFLOW here), says its process group and exits.
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "start_a_static_server_and_exit", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let group: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("mlflow process group ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no process group in:\n{stdout}"));
    wait_for("the exited test's mlflow processes to end", Duration::from_secs(10), || {
        let left = processes_in_group(group);
        if left.is_empty() { Ok(()) } else { Err(format!("still running: {left:?}")) }
    });
}

#[test]
#[ignore = "run in a child process by the_shared_server_stops_when_the_test_process_exits"]
fn start_a_static_server_and_exit() {
    static SERVER: LazyLock<Mlflow> = LazyLock::new(Mlflow::start);
    let members = processes_in_group(SERVER.process_group());
    assert!(members.len() >= 2, "mlflow and its uvicorn worker: {members:?}");
    println!("mlflow process group {}", SERVER.process_group());
}
