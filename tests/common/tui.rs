//! Driving the explorer's state without a terminal: keys and actions in,
//! searches run synchronously, copies recorded, screens rendered on
//! ratatui's TestBackend.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use trailscope::engine::search::execute;
use trailscope::engine::{Dataset, Options};
use trailscope::loader::{self, LoadOptions, Progress};
use trailscope::query::Cancel;
use trailscope::store::Store;
use trailscope::tui::action::{Action, Effect};
use trailscope::tui::app::{App, Config};
use trailscope::tui::theme::Theme;
use trailscope::tui::{actions_for, view};

/// trailscope's catalogue, loaded once per test process.
pub fn catalogue() -> Arc<trailscope::detect::RuleSet> {
    static SET: std::sync::OnceLock<Arc<trailscope::detect::RuleSet>> = std::sync::OnceLock::new();
    Arc::clone(SET.get_or_init(|| Arc::new(trailscope::detect::RuleSet::load(true, &[]))))
}

pub struct Harness {
    pub app: App,
    pub store: Arc<RwLock<Store>>,
    pub annex: Arc<dyn trailscope::query::eval::Annex + Send + Sync>,
    /// (payload, what) of every copy asked for.
    pub copies: Vec<(String, String)>,
    /// Searches run so far.
    pub searches: usize,
}

impl Harness {
    pub fn new(paths: &[PathBuf], size: (u16, u16), query: &str) -> Harness {
        Harness::in_case(paths, size, query, Arc::default())
    }

    /// [`Harness::new`] keeping marks, tags and notes in `case`.
    pub fn in_case(
        paths: &[PathBuf],
        size: (u16, u16),
        query: &str,
        case: Arc<RwLock<trailscope::case::Book>>,
    ) -> Harness {
        Harness::in_case_with(paths, size, query, case, Config::default())
    }

    /// [`Harness::in_case`] started with `config` (its query is replaced by `query`).
    pub fn in_case_with(
        paths: &[PathBuf],
        size: (u16, u16),
        query: &str,
        case: Arc<RwLock<trailscope::case::Book>>,
        config: Config,
    ) -> Harness {
        let opts = Options {
            load: LoadOptions { threads: 2, publish_every: None, ..LoadOptions::default() },
            rules: catalogue(),
            case,
            ..Options::default()
        };
        let data = Dataset::load(paths, opts);
        let (store, annex) = (Arc::clone(&data.store), data.annex());
        let mut app = App::new(data, Config { query: query.to_string(), ..config });
        app.update(Action::Resize(size.0, size.1));
        let first = app.search();
        let mut h = Harness { app, store, annex, copies: vec![], searches: 0 };
        h.run(first);
        h
    }

    pub fn sample(size: (u16, u16)) -> Harness {
        Harness::new(&[super::sample()], size, "")
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Search(req) => {
                    self.searches += 1;
                    let mut results = Vec::new();
                    execute(&self.app.data, &req, &Cancel::new(), &mut |r| results.push(r));
                    for mut r in results {
                        // Timings vary from run to run; screens must not.
                        r.elapsed = Duration::ZERO;
                        let more = self.app.update(Action::SearchDone(Box::new(r)));
                        self.run(more);
                    }
                }
                Effect::Copy { payload, what } => {
                    self.copies.push((payload, what.clone()));
                    self.app.update(Action::Copied(format!("copied {what}")));
                }
                Effect::Quit => {}
            }
        }
    }

    pub fn act(&mut self, a: Action) -> &mut Self {
        let effects = self.app.update(a);
        self.run(effects);
        self
    }

    pub fn key_mod(&mut self, code: KeyCode, mods: KeyModifiers) -> &mut Self {
        let ev = Event::Key(KeyEvent::new(code, mods));
        for a in actions_for(&ev, &self.app) {
            self.act(a);
        }
        self
    }

    pub fn key(&mut self, code: KeyCode) -> &mut Self {
        self.key_mod(code, KeyModifiers::NONE)
    }

    /// Types each character as a key press.
    pub fn keys(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    /// The screen as text, one line per row, trailing spaces trimmed.
    pub fn screen(&self) -> String {
        let (w, h) = self.app.size;
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| view::draw(f, &self.app, &Theme::new(false))).unwrap();
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            for x in 0..w {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// The eventName of the selected event.
    pub fn selected_name(&self) -> String {
        let s = self.store.read().unwrap();
        let id = self.app.selected().expect("an event is selected");
        s.value(id, trailscope::model::fields::Field::Name).to_string()
    }
}

impl Harness {
    /// Loads more files into the same store (as a loader thread would while
    /// the person works) and refreshes the search, like the runtime does.
    pub fn load_more(&mut self, paths: &[PathBuf]) -> &mut Self {
        loader::load(
            paths,
            &self.store,
            &Progress::default(),
            &LoadOptions { threads: 1, publish_every: None, ..LoadOptions::default() },
        );
        let effects = self.app.search();
        self.run(effects);
        self
    }
}
