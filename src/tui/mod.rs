//! The interactive explorer. The runtime here owns the terminal and the
//! threads (input, search); everything else is the state in [`app`],
//! changed by actions and drawn by [`view`]. It receives a dataset being
//! loaded and a resolved [`app::Config`]; it knows nothing of the command
//! line.

pub mod action;
pub mod app;
pub mod casework;
pub mod clipboard;
pub mod keymap;
pub mod layout;
pub mod overlays;
pub mod panes;
pub mod prompt;
pub mod scroll;
pub mod text;
pub mod theme;
pub mod timefmt;
pub mod tree;
pub mod view;

use crate::engine::{Dataset, SearchResult, SearchService};
use action::{Action, Effect};
use app::{App, Config};
use clipboard::Clip;
use crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};
use crossterm::{execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// While loading, results are refreshed at most this often.
const REFRESH: Duration = Duration::from_millis(300);

enum Msg {
    Input(Event),
    Results(SearchResult),
}

/// Maps a terminal event to actions, given the state (for key scopes).
pub fn actions_for(ev: &Event, app: &App) -> Vec<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => keymap::lookup(k, &app.scopes()).into_iter().collect(),
        Event::Mouse(m) if app.config.mouse => match m.kind {
            MouseEventKind::ScrollDown => vec![Action::ScrollAt { x: m.column, y: m.row, down: true }],
            MouseEventKind::ScrollUp => vec![Action::ScrollAt { x: m.column, y: m.row, down: false }],
            MouseEventKind::Down(MouseButton::Left) => vec![Action::ClickAt { x: m.column, y: m.row }],
            _ => vec![],
        },
        Event::Resize(w, h) => vec![Action::Resize(*w, *h)],
        Event::Paste(text) if app.prompt.is_some() => {
            vec![Action::InsertText(text.chars().filter(|c| !c.is_control()).collect())]
        }
        _ => vec![],
    }
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        event::DisableMouseCapture,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn init_terminal(mouse: bool) -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    // A panic anywhere restores the terminal before the message is printed.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A loader thread's panic is caught and listed as a problem: the
        // explorer goes on, so the terminal stays as it is and quiet.
        if std::thread::current().name() == Some(crate::loader::LOADER_THREAD) {
            return;
        }
        restore_terminal();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(out, terminal::EnterAlternateScreen, event::EnableBracketedPaste)?;
    if mouse {
        execute!(out, event::EnableMouseCapture)?;
    }
    Terminal::new(CrosstermBackend::new(out))
}

/// Runs the explorer over `data` (loading or loaded) until the person quits.
/// The terminal is restored on every way out, panics included.
pub fn run(data: Dataset, config: Config) -> io::Result<()> {
    let result = run_in_terminal(data, config);
    restore_terminal();
    result
}

fn run_in_terminal(data: Dataset, config: Config) -> io::Result<()> {
    let theme = theme::Theme::from_env(config.theme.as_deref());
    let progress = std::sync::Arc::clone(&data.progress);
    let mut clip = Clip::choose(config.clipboard);
    let mut app = App::new(data, config);
    let mut terminal = init_terminal(app.config.mouse)?;
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    terminal.draw(|f| view::draw(f, &app, &theme))?;
    // For bench/compare.sh: how long the first frame took, from process start.
    if let Some(path) = std::env::var_os("TRAILSCOPE_FIRST_FRAME_FILE") {
        let ms = crate::STARTED.get().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
        let _ = std::fs::write(path, format!("{ms:.2}\n"));
    }
    // For the test that a panic leaves the terminal as it found it.
    if std::env::var_os("TRAILSCOPE_PANIC_AFTER_FIRST_FRAME").is_some() {
        panic!("panic requested by TRAILSCOPE_PANIC_AFTER_FIRST_FRAME");
    }

    let (tx, rx) = mpsc::channel::<Msg>();
    let input = tx.clone();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if input.send(Msg::Input(ev)).is_err() {
                break;
            }
        }
    });
    let mut searches = SearchService::start(&app.data, move |r| {
        let _ = tx.send(Msg::Results(r));
    });

    let mut pending: Vec<Effect> = app.search();
    let mut seen_generation = 0;
    let mut incidents_seen = false;
    let mut last_refresh = Instant::now();
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Search(req) => searches.submit(req),
                Effect::Copy { payload, what } => {
                    let msg = clip.copy(&payload, &what, terminal.backend_mut());
                    app.update(Action::Copied(msg));
                }
                Effect::Quit => {}
            }
        }
        if app.quit {
            return Ok(());
        }
        terminal.draw(|f| view::draw(f, &app, &theme))?;
        let mut msgs = Vec::new();
        if let Ok(m) = rx.recv_timeout(Duration::from_millis(100)) {
            msgs.push(m);
            msgs.extend(rx.try_iter());
        }
        for m in msgs {
            let actions = match m {
                Msg::Input(ev) => actions_for(&ev, &app),
                Msg::Results(r) => vec![Action::SearchDone(Box::new(r))],
            };
            for a in actions {
                pending.extend(app.update(a));
            }
        }
        // New events were published, or the rules found more: refresh the results now and then.
        let generation = progress.generation.load(Relaxed) + app.data.found().generation;
        if generation != seen_generation && (last_refresh.elapsed() >= REFRESH || progress.is_done()) {
            seen_generation = generation;
            last_refresh = Instant::now();
            pending.extend(app.search());
        }
        // The incidents are worked out last: the list refreshes for `incident:` terms, and they may open.
        if !incidents_seen && app.data.incidents.read().unwrap_or_else(|e| e.into_inner()).ready {
            incidents_seen = true;
            pending.extend(app.search());
            pending.extend(app.update(Action::IncidentsReady));
        }
    }
}
