//! The playbook engine's own cost, without servers: reading every shipped
//! playbook, and planning then running `rollback` against the lab's
//! in-process registry, gateway and metrics (so what is measured is vigil,
//! not a network). Criterion; `cargo bench --bench playbook`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use vigil::lab::{LabOptions, Scenario, Simulator};
use vigil::playbook::backends::Backends;
use vigil::playbook::library::Library;
use vigil::playbook::plan::{PlanRequest, plan};
use vigil::playbook::run::{RunOptions, run};

fn lab_backends(dir: &std::path::Path) -> Backends {
    let simulator = Arc::new(Simulator::new(LabOptions {
        seed: 42,
        scenario: Scenario::BadDeploy,
        models: 12,
        anchor: Utc::now(),
    }));
    Backends::lab("bench", simulator, dir)
}

fn request() -> PlanRequest {
    PlanRequest {
        given: [("model", "fraud-detector"), ("max_error_ratio", "0.05"), ("verify_within", "0s")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        selected_model: None,
        reason: Some("bench".into()),
        actor: "bench".into(),
    }
}

fn benches(c: &mut Criterion) {
    c.bench_function("read every shipped playbook", |b| b.iter(|| Library::load(None).unwrap()));

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let library = Library::load(None).unwrap();
    let rollback = library.get("rollback").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let backends = lab_backends(dir.path());
    c.bench_function("plan rollback (lab backends)", |b| {
        b.iter(|| rt.block_on(plan(&rollback, &request(), &backends)).unwrap())
    });

    // A whole run: the registry lease (taken, then read back after a 300 ms
    // settle — most of the time), two steps moving alias and traffic, a
    // check, and 12 audit records each fsynced.
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    group.bench_function("rollback, lease and 12 fsynced audit records (lab backends)", |b| {
        b.iter(|| {
            let fresh = lab_backends(dir.path());
            let p = rt.block_on(plan(&rollback, &request(), &fresh)).unwrap();
            let options = RunOptions {
                read_only: None,
                confirmed: true,
                reason: "bench".into(),
                actor: "bench".into(),
                run_id: "bench".into(),
                lease: Duration::from_secs(60),
            };
            assert!(rt.block_on(run(&p, &fresh, &options, None)).succeeded());
        })
    });
    group.finish();
}

criterion_group!(playbook, benches);
criterion_main!(playbook);
