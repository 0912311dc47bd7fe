//! `imrlint report`: the batch report's files, its escaping, and the page in headless Chromium.
//! Chromium runs when it is installed; CI installs it and sets IMRLINT_REQUIRE_CHROMIUM=1 so that
//! its absence fails there rather than skipping.

use assert_cmd::Command;
use std::path::Path;

fn report(out: &Path, paths: &[&str]) {
    Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "--no-config", "--out"])
        .arg(out)
        .args(paths)
        .assert()
        .success();
}

#[test]
fn the_report_has_its_files_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    report(dir.path(), &["cases/"]);
    for f in [
        "index.html",
        "findings.csv",
        "summary.json",
        "manifest.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let letters = std::fs::read_dir("cases")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "txt")
        })
        .count();
    assert_eq!(
        std::fs::read_dir(dir.path().join("letters"))
            .unwrap()
            .count(),
        letters
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["summary"]["files"], letters);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), letters);
    assert_eq!(manifest["rules_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert_eq!(index.matches("<svg").count(), 6);
    assert!(!index.contains("http://") && !index.contains("https://"));
    // The CSV has a row per finding of the JSON report.
    let csv = std::fs::read_to_string(dir.path().join("findings.csv")).unwrap();
    let findings = summary["summary"]["findings"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(csv.lines().count() as u64, findings + 1);
}

#[test]
fn letter_text_stays_inert() {
    let dir = tempfile::tempdir().unwrap();
    report(dir.path(), &["tests/letters/hostile-markup.txt"]);
    let page = std::fs::read_to_string(dir.path().join("letters/000001.html")).unwrap();
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("&lt;b onmouseover=&quot;alert(3)&quot;&gt;"));
    for raw in ["<script", "<img", "<b onmouseover", "\"onload="] {
        assert!(!page.contains(raw), "{raw}");
    }
}

#[test]
fn the_page_loads_in_headless_chromium() {
    let required = std::env::var_os("IMRLINT_REQUIRE_CHROMIUM").is_some();
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok()
        })
    else {
        assert!(!required, "chromium is not installed");
        println!("note: chromium is not installed; the browser check is skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    report(dir.path(), &["cases/"]);
    let url = format!("file://{}", dir.path().join("index.html").display());
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report-index.png");
    let _ = std::fs::remove_file(&shot);
    let run = |extra: &[&str]| {
        std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,1600",
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = run(&["--dump-dom"]);
    let stderr = String::from_utf8_lossy(&dom.stderr);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(dom.matches("<svg").count(), 6, "the charts are in the page");
    assert!(dom.contains("<rect"), "the charts have bars");
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    run(&[&format!("--screenshot={}", shot.display())]);
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a screenshot"
    );
}

/// The same letters give the same report pages (the run's times stay in manifest.json).
#[test]
fn the_same_letters_give_the_same_pages() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    report(a.path(), &["cases/"]);
    report(b.path(), &["cases/"]);
    for f in [
        "index.html",
        "findings.csv",
        "summary.json",
        "letters/000003.html",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
}
