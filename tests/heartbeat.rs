//! Heartbeat (section 4.6) and ChangeConfiguration / GetConfiguration (sections 5.3, 5.8).

mod common;

use common::*;
use serde_json::json;

/// TC_021_CS Change/set Configuration: HeartbeatInterval changed to 10 s takes effect at
/// once (the next heartbeat 10 s after the change, then every 10 s) and reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_021_change_configuration_heartbeat_interval() {
    let mut h = Setup::default().heartbeat_interval(300).start().await;
    h.booted().await;
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("300".to_string(), false))
    );

    h.advance(5);
    assert_eq!(h.change_config("HeartbeatInterval", "10").await, "Accepted");
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("10".to_string(), false))
    );

    h.advance(9);
    h.expect_no_calls("9 s after setting HeartbeatInterval to 10")
        .await;
    h.advance(1);
    assert_eq!(h.next_call("Heartbeat").await.payload, json!({}));
    h.advance(9);
    h.expect_no_calls("9 s after the first heartbeat").await;
    h.advance(1);
    h.next_call("Heartbeat").await;

    // Keys are case-insensitive (CiString).
    assert_eq!(h.change_config("heartbeatinterval", "20").await, "Accepted");
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("20".to_string(), false))
    );
    h.advance(10);
    h.expect_no_calls("10 s after setting HeartbeatInterval to 20")
        .await;
    h.advance(10);
    h.next_call("Heartbeat").await;
    assert_eq!(h.seen_count("Heartbeat"), 3);
    h.shutdown().await;
}

/// TC_040_1_CS Configuration key - NotSupported: an unknown key is NotSupported on change
/// and listed in unknownKey on read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_040_1_configuration_key_not_supported() {
    let mut h = Setup::default().start().await;
    h.booted().await;

    assert_eq!(
        h.change_config("NoSuchConfigurationKey", "1").await,
        "NotSupported"
    );
    let answer = h
        .call(
            "GetConfiguration",
            json!({"key": ["NoSuchConfigurationKey", "HeartbeatInterval"]}),
        )
        .await;
    assert_eq!(
        answer["unknownKey"],
        json!(["NoSuchConfigurationKey"]),
        "{answer}"
    );
    assert_eq!(
        answer["configurationKey"][0]["key"], "HeartbeatInterval",
        "{answer}"
    );
    h.shutdown().await;
}

/// TC_040_2_CS Configuration key - Invalid value: values outside HeartbeatInterval's range
/// or not a number are Rejected, as is any change of a read-only key; nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc_040_2_configuration_key_invalid_value() {
    let mut h = Setup::default().heartbeat_interval(300).start().await;
    h.booted().await;

    for bad in ["0", "1801", "-5", "ten", ""] {
        assert_eq!(
            h.change_config("HeartbeatInterval", bad).await,
            "Rejected",
            "HeartbeatInterval = {bad:?}"
        );
    }
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("300".to_string(), false))
    );
    // The bounds themselves are fine.
    assert_eq!(
        h.change_config("HeartbeatInterval", "1800").await,
        "Accepted"
    );
    assert_eq!(h.change_config("HeartbeatInterval", "1").await, "Accepted");
    assert_eq!(
        h.get_config("HeartbeatInterval").await,
        Some(("1".to_string(), false))
    );

    // Read-only keys.
    assert_eq!(
        h.get_config("NumberOfConnectors").await,
        Some(("2".to_string(), true))
    );
    assert_eq!(h.change_config("NumberOfConnectors", "3").await, "Rejected");
    assert_eq!(
        h.change_config("GetConfigurationMaxKeys", "50").await,
        "Rejected"
    );
    assert_eq!(
        h.get_config("NumberOfConnectors").await,
        Some(("2".to_string(), true))
    );

    // A rejected change left the 1 s heartbeat in place.
    h.advance(1);
    h.next_call("Heartbeat").await;
    h.shutdown().await;
}
