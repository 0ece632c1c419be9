//! A large upload in a real browser: the request ends when the file is queued, and the job's page
//! shows the import's own progress moving until it lands on the summary.

use super::*;

#[tokio::test]
async fn a_200k_row_upload_shows_its_bar_moving_to_the_summary() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let (t, base) = demo_site().await;
    sign_in(&c, &base, "analista", "demo-analista-7872").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ocorrencias-200-mil.csv");
    let mut text = String::from("id,occurred_at,crime,lat,lon\n");
    for i in 0..200_000 {
        text.push_str(&format!(
            "GRANDE-{i},2026-10-{:02} 14:30,roubo_veiculo,-16.68{:02},-49.25{:02}\n",
            1 + i % 28,
            i % 97,
            i % 89
        ));
    }
    std::fs::write(&file, text).unwrap();
    c.goto(&format!("{base}/importacoes")).await.unwrap();
    upload(&c, "occurrences", &file).await;
    wait_for(&c, "#tarefa").await;
    shot(&c, "importacao-em-andamento").await;
    // Watch the bar until the page becomes the summary.
    let mut seen: Vec<f64> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let v = c
            .execute(
                "var b = document.getElementById('progresso'); \
                 return document.querySelector('section.cards') ? 'fim' : \
                        (b && b.hasAttribute('value') ? b.value : null);",
                vec![],
            )
            .await
            .unwrap_or(serde_json::Value::Null);
        if v == "fim" {
            break;
        }
        if let Some(x) = v.as_f64()
            && seen.last() != Some(&x)
        {
            seen.push(x);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no summary; bar {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let between: Vec<f64> = seen
        .iter()
        .copied()
        .filter(|x| *x > 0.0 && *x < 100.0)
        .collect();
    assert!(between.len() >= 2, "the bar did not move: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "the bar went back: {seen:?}"
    );
    let cards = text_at(&c, "section.cards").await;
    assert!(cards.contains("200.000\nlinhas lidas"), "{cards}");
    assert!(cards.contains("200.000\nincluídas"), "{cards}");
    shot(&c, "importacao-concluida").await;
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
    println!("browser: 200,000-row upload, bar at {seen:?}");
}
