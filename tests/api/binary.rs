//! The binary: what it prints at start, its flags, its threads, and a graceful exit on SIGTERM.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn start_up_prints_the_url_every_key_and_how_to_point_the_sdks() {
    let binary = Binary::start(&[]);
    let app = binary.app();

    let reply = app.create(ADMIN, &minimal_body()).await;

    assert_eq!(reply.status, 200);
    // The banner's last line.
    let printed = binary.printed_once_it_shows("curl -s").await;
    assert!(
        printed.contains(&format!("listening on http://{}", binary.addr)),
        "{printed}"
    );
    for key in [
        ADMIN,
        OWNER_UUID,
        DEVELOPER,
        BILLING,
        PROFILE_KEY,
        NO_WABA_ADMIN,
        GONE_ORG_ADMIN,
    ] {
        let line = printed
            .lines()
            .find(|l| l.contains(key))
            .unwrap_or_else(|| panic!("{key} not printed: {printed}"));
        assert!(
            line.trim().len() > key.len() + 10,
            "{key} has no description: {line}"
        );
    }
    assert!(
        printed.contains(&format!("SENT_BASE_URL=http://{}", binary.addr)),
        "{printed}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_sent-mock"))
        .args(["--port", "1", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--host",
        "--port",
        "--fixtures",
        "--any-api-key",
        "--max-body",
        "--log-format",
        "SENT_MOCK_PORT",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help: {help}");
    }
}

#[tokio::test]
async fn confined_to_one_cpu_the_server_runs_on_one_thread() {
    let pinned = Binary::start_on_one_cpu(&[]);
    let free = Binary::start(&[]);

    let pinned_reply = pinned.app().create(ADMIN, &minimal_body()).await;
    let free_reply = free.app().create(ADMIN, &minimal_body()).await;

    assert_eq!(pinned_reply.status, 200, "{}", pinned_reply.text());
    assert_eq!(free_reply.status, 200, "{}", free_reply.text());
    assert_eq!(
        pinned.threads(),
        1,
        "one CPU: everything on the main thread"
    );
    // Otherwise a worker per CPU beside the main thread.
    if std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
        assert!(free.threads() > 2, "{} threads", free.threads());
    }
}

#[tokio::test]
async fn sigterm_finishes_and_exits_with_status_zero() {
    let mut served = Binary::start(&[]);
    assert_eq!(
        served.app().create(ADMIN, &minimal_body()).await.status,
        200
    );
    // Sent the moment the banner is read, before any request: the banner promises the
    // handler is already there.
    let mut fresh = Binary::start(&[]);

    for (binary, when) in [(&mut fresh, "at once"), (&mut served, "after a create")] {
        let status = terminate(binary).await;
        assert!(status.success(), "SIGTERM {when}: {status:?}");
    }
}

async fn terminate(binary: &mut Binary) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &binary.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = binary.child.try_wait().unwrap() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not exit within 5 s of SIGTERM");
}

#[tokio::test]
async fn a_fixtures_directory_replaces_the_embedded_fixtures() {
    let dir = std::env::temp_dir().join(format!("sent-mock-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("solo.json"),
        r#"{"organization": {"id": "11111111-2222-4333-8444-555555555555", "name": "Solo", "email": "solo@example.com", "waba_id": "42"},
            "keys": [{"key": "sk_test_solo", "role": "owner", "description": "Solo owner"}]}"#,
    )
    .unwrap();
    let binary = Binary::start(&["--fixtures", dir.to_str().unwrap()]);
    let app = binary.app();

    let solo = app.create("sk_test_solo", &minimal_body()).await;
    let acme = app.create(ADMIN, &minimal_body()).await;

    assert_eq!(solo.status, 200, "{}", solo.text());
    assert_eq!(
        solo.json()["data"]["organization_id"],
        "11111111-2222-4333-8444-555555555555"
    );
    assert_eq!(solo.json()["data"]["waba_id"], "42");
    acme.assert_error(401, "AUTH_002");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_fixture_file_stops_the_start_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("sent-mock-bad-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), r#"{"organization": {"id": "x"}}"#).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_sent-mock"))
        .args(["--port", "0", "--fixtures", dir.to_str().unwrap()])
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
