//! Keyboard only (issue 20, WCAG 2.1.1): the coordinator signs in, reaches the meetings page from the
//! menu and schedules a meeting without a mouse — Tab to move, typing, Space to tick, Enter to follow
//! a link or send a form — and the next page confirms it. Every step fails if Tab cannot reach the
//! control it needs.

use super::super::*;
use super::*;
use fantoccini::Client;
use fantoccini::key::Key;

/// Presses Tab until the focused element matches `css`; fails after 150 presses (not reachable).
async fn tab_to(c: &Client, css: &str) {
    let script = format!(
        "return document.activeElement && document.activeElement.matches({})",
        serde_json::to_string(css).unwrap()
    );
    for _ in 0..150 {
        if c.execute(&script, vec![]).await.unwrap() == serde_json::json!(true) {
            return;
        }
        tab(c).await;
    }
    let at = c
        .execute(
            "const e = document.activeElement; return e ? e.outerHTML.slice(0, 120) : 'none'",
            vec![],
        )
        .await
        .unwrap();
    panic!("{css} cannot be reached with Tab (focus is on {at})");
}

/// One press of Tab on the page, wherever the focus is (an element's own send-keys would focus
/// that element first: a date field would keep Tab among its day, month and year).
async fn tab(c: &Client) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let press = KeyActions::new("teclado".into())
        .then(KeyAction::Down {
            value: char::from(Key::Tab),
        })
        .then(KeyAction::Up {
            value: char::from(Key::Tab),
        });
    c.perform_actions(press).await.unwrap();
}

/// Types `keys` into the focused element.
async fn press(c: &Client, keys: &str) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

fn key(k: Key) -> String {
    String::from(char::from(k))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_is_scheduled_with_the_keyboard_alone() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let (t, base) = demo_site().await;
    let ssp = institution_id(&t.db, "SSP-GO").await;
    c.goto(&format!("{base}/login")).await.unwrap();
    wait_for(&c, "#login").await;
    tab_to(&c, "#login").await;
    press(&c, "coordenador").await;
    tab_to(&c, "#senha").await;
    press(&c, &format!("demo-coordenador-7872{}", key(Key::Enter))).await;
    wait_for(&c, "header.top .user").await;

    tab_to(&c, "nav.menu a[href='/reunioes']").await;
    press(&c, &key(Key::Enter)).await;
    wait_for(&c, "#agendar-form").await;
    tab_to(&c, "#tipo").await;
    // The first kind is "interna"; one down is the articulation meeting.
    press(&c, &key(Key::Down)).await;
    tab_to(&c, "#titulo").await;
    press(&c, "Articulação pelo teclado").await;
    tab_to(&c, "#data").await;
    // Chromium's date field takes the digits in its locale's order (en-US here: month, day, year).
    press(&c, "12202026").await;
    let day = c
        .execute("return document.getElementById('data').value", vec![])
        .await
        .unwrap();
    assert_eq!(day, serde_json::json!("2026-12-20"));
    tab_to(&c, &format!("input[name=instituicao][value='{ssp}']")).await;
    press(&c, " ").await;
    tab_to(&c, "#agendar-form button[type=submit]").await;
    c.execute("document.body.setAttribute('data-old', '1')", vec![])
        .await
        .unwrap();
    press(&c, &key(Key::Enter)).await;
    wait_for(&c, "body:not([data-old])").await;
    assert_eq!(text_at(&c, ".done[role=status]").await, "Reunião criada.");
    let meetings = t.db.meetings().await.unwrap();
    let m = meetings
        .iter()
        .find(|m| m.title == "Articulação pelo teclado")
        .expect("the meeting was created");
    assert_eq!(m.kind.as_str(), "articulation");
    println!("browser: a meeting scheduled with the keyboard alone");
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
}
