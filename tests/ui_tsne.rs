//! The live t-SNE through the real app: the embedding animates, Pause holds it, Resume
//! goes on, Stop keeps the embedding as it is.

mod common;

use common::run_until;

use std::time::Duration;

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn iteration(app: &BiolensApp) -> usize {
    app.tsne_view().latest.as_ref().map_or(0, |f| f.info.iteration)
}

fn settle(h: &mut Harness<'static, BiolensApp>) {
    for _ in 0..10 {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tsne_animates_pauses_resumes_and_stops() {
    let mut h = Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty));
    h.state_mut().tsne_view_mut().settings.params.iterations = 100_000;
    h.state_mut().push_command(Command::OpenSample("pbmc68k_reduced"));
    h.run_steps(1);
    run_until(&mut h, "the dataset", |app| app.state().current.is_some());
    h.get_by_label("t-SNE").click();
    h.step();
    run_until(&mut h, "the first iterations", |app| iteration(app) > 5);
    h.get_by_label("Scatter plot: 700 points");
    let moving = iteration(h.state());
    run_until(&mut h, "more iterations", |app| iteration(app) > moving);

    h.get_by_label("⏸ Pause").click();
    h.step();
    assert!(h.state().tsne_view().is_paused());
    settle(&mut h);
    let held = iteration(h.state());
    settle(&mut h);
    assert_eq!(iteration(h.state()), held, "paused t-SNE kept iterating");
    h.get_by_label_contains(&format!("iteration {held} / 100250"));
    // 700 samples: Auto chose Barnes–Hut, and the view says so.
    h.get_by_label("Barnes–Hut");

    h.get_by_label("▶ Resume").click();
    h.step();
    run_until(&mut h, "iterations after resuming", |app| iteration(app) > held);

    h.get_by_label("⏹ Stop").click();
    h.step();
    assert!(!h.state().tsne_view().is_running());
    let stopped = iteration(h.state());
    assert!(stopped > held && stopped < 100_250);
    settle(&mut h);
    assert_eq!(iteration(h.state()), stopped, "the stopped embedding stays");
    h.get_by_label("▶ Run t-SNE");
    h.get_by_label("Scatter plot: 700 points");
}
