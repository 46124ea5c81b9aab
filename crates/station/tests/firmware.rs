//! Firmware Management on the bare state machine: UpdateFirmware (TC_044_x) and the
//! security extension's SignedUpdateFirmware (TC_080, TC_081), with the drivers' side
//! (download, signature check, installation) played by the test through Outputs and Inputs.

mod harness;

use chrono::{DateTime, Duration, Utc};
use harness::*;
use ocpp::Call;
use serde_json::{json, Value};
use station::{Input, Output, Station, StationConfig};
use store::Store;

const URL: &str = "https://firmware.example.com/cp/fw-2.0.0.bin";

/// The harness with what the firmware tests do over and over.
struct Fw {
    h: Harness,
}

impl Fw {
    fn input(&mut self, input: Input) {
        self.h.input(input);
    }

    fn answer(&mut self, call: &Call, payload: Value) {
        self.h.answer(call, payload);
    }

    fn answer_all(&mut self) -> Vec<Call> {
        self.h.answer_all()
    }

    fn boot(&mut self) -> Vec<Call> {
        self.h.boot()
    }

    /// A CALL from the Central System; the payload of the station's answer.
    fn call(&mut self, action: &str, payload: Value) -> Value {
        result_payload(self.h.csms_call(action, payload))
    }

    fn hw(&mut self, event: hal::HardwareEvent) {
        self.h.hw(event);
    }

    fn new() -> Fw {
        Fw::from(Harness::new())
    }

    fn from(h: Harness) -> Fw {
        Fw { h }
    }

    /// A station on `store` reporting firmware `version`.
    fn on_store(store: Box<dyn Store>, now: DateTime<Utc>, version: &str) -> Fw {
        let mut info = info();
        info.firmware_version = version.into();
        let mut h = Harness::new();
        h.now = now;
        h.station = Station::new(StationConfig::new(info, 2), store, harness::at(now)).unwrap();
        let mut f = Fw::from(h);
        for (connector, energy) in [(1, 1000.0), (2, 5000.0)] {
            f.input(Input::Meter {
                connector,
                reading: reading(energy),
            });
        }
        f
    }

    fn advance(&mut self, seconds: i64) {
        self.h.now += Duration::seconds(seconds);
        self.input(Input::Tick);
    }

    /// Advance from deadline to deadline (answering what other timers send, heartbeats)
    /// until `at`, which must be one.
    fn advance_to_deadline(&mut self, at: DateTime<Utc>) {
        loop {
            let next = self.h.wake_at().expect("a deadline");
            assert!(next <= at, "no deadline at {at}: next {next}");
            self.h.now = next;
            self.input(Input::Tick);
            if next == at {
                return;
            }
            let calls = self.answer_all();
            assert!(calls.iter().all(|c| c.action == "Heartbeat"), "{calls:?}");
        }
    }

    /// Plug in and present a card at `connector`: a transaction runs.
    fn start_transaction(&mut self, connector: u32) {
        self.hw(hal::HardwareEvent::CablePlugged { connector });
        self.hw(hal::HardwareEvent::CardPresented {
            connector,
            id_tag: "TAG1".into(),
        });
        self.answer_all();
        assert!(self.h.station.connectors()[connector as usize - 1]
            .transaction_id
            .is_some());
    }

    fn stop_transaction(&mut self, connector: u32) {
        self.hw(hal::HardwareEvent::StopButton { connector });
    }

    /// The transfer outputs given since the last look.
    fn take_transfers(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.h.transfers)
    }

    /// The one DownloadFirmware given: its job and URL.
    fn expect_download(&mut self) -> (u64, String) {
        match self.take_transfers().as_slice() {
            [Output::DownloadFirmware { job, url }] => (*job, url.clone()),
            other => panic!("expected one DownloadFirmware, got {other:?}"),
        }
    }

    /// An UpdateFirmware for now, downloaded: the job at its InstallFirmware output.
    fn update_until_install(&mut self) -> u64 {
        self.update_firmware(self.h.now, json!({}));
        self.answer_all();
        let (job, _) = self.expect_download();
        self.input(Input::FirmwareDownloaded {
            job,
            result: Ok(()),
        });
        self.answer_all();
        self.expect_install()
    }

    fn expect_install(&mut self) -> u64 {
        match self.take_transfers().as_slice() {
            [Output::InstallFirmware { job }] => *job,
            other => panic!("expected one InstallFirmware, got {other:?}"),
        }
    }

    fn trigger_firmware_status(&mut self) -> String {
        let conf = self.call(
            "TriggerMessage",
            json!({"requestedMessage": "FirmwareStatusNotification"}),
        );
        assert_eq!(conf["status"], "Accepted");
        let calls = self.answer_all();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].action, "FirmwareStatusNotification");
        calls[0].payload["status"].as_str().unwrap().to_string()
    }

    /// Hand the store over to a new run (what the drivers do on a Reset, or a power loss
    /// with the store on disk) that reports firmware `version`.
    fn reboot(self, version: &str) -> Fw {
        let now = self.h.now;
        Fw::on_store(self.h.station.into_store(), now, version)
    }

    fn statuses(&self) -> Vec<String> {
        self.h
            .station
            .connectors()
            .iter()
            .map(|c| c.status.as_str().to_string())
            .collect()
    }
}

/// The statuses of the FirmwareStatusNotifications among `calls`, in order.
fn firmware_statuses(calls: &[Call]) -> Vec<String> {
    statuses_of(calls, "FirmwareStatusNotification")
}

fn statuses_of(calls: &[Call], action: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.action == action)
        .map(|c| c.payload["status"].as_str().unwrap().to_string())
        .collect()
}

fn security_events(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.action == "SecurityEventNotification")
        .map(|c| c.payload["type"].as_str().unwrap().to_string())
        .collect()
}

fn time(at: DateTime<Utc>) -> String {
    ocpp::datetime::format(&at)
}

impl Fw {
    fn update_firmware(&mut self, retrieve: DateTime<Utc>, extra: Value) {
        let mut req = json!({"location": URL, "retrieveDate": time(retrieve)});
        if let (Some(obj), Some(more)) = (req.as_object_mut(), extra.as_object()) {
            obj.extend(more.clone());
        }
        assert_eq!(self.call("UpdateFirmware", req), json!({}));
    }
}

fn booted() -> Fw {
    let mut f = Fw::new();
    f.boot();
    f
}

#[test]
fn firmware_management_is_a_supported_profile_with_its_protocols() {
    let mut f = booted();
    let conf = f.call(
        "GetConfiguration",
        json!({"key": ["SupportedFeatureProfiles", "SupportedFileTransferProtocols"]}),
    );
    let keys = conf["configurationKey"].as_array().unwrap();
    let value = |name: &str| {
        keys.iter()
            .find(|k| k["key"] == name)
            .map(|k| {
                (
                    k["value"].as_str().unwrap().to_string(),
                    k["readonly"].clone(),
                )
            })
            .unwrap()
    };
    let (profiles, readonly) = value("SupportedFeatureProfiles");
    assert!(profiles.split(',').any(|p| p == "FirmwareManagement"));
    assert!(
        profiles.split(',').count() <= 6,
        "SupportedFeatureProfilesMaxLength"
    );
    assert_eq!(readonly, true);
    assert_eq!(
        value("SupportedFileTransferProtocols"),
        ("HTTP,HTTPS,FTP,FTPS".to_string(), json!(true))
    );
}

#[test]
fn tc_044_1_firmware_update_download_and_install() {
    let mut f = booted();
    assert_eq!(f.trigger_firmware_status(), "Idle");
    f.update_firmware(f.h.now, json!({}));
    let calls = f.answer_all();
    assert_eq!(firmware_statuses(&calls), ["Downloading"]);
    let (job, url) = f.expect_download();
    assert_eq!(url, URL);
    assert_eq!(f.trigger_firmware_status(), "Downloading");

    f.advance(120);
    f.answer_all();
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    let calls = f.answer_all();
    assert_eq!(firmware_statuses(&calls), ["Downloaded", "Installing"]);
    // Every connector, and the station, Unavailable while installing.
    let unavailable: Vec<(i64, String)> = calls
        .iter()
        .filter(|c| c.action == "StatusNotification")
        .map(|c| {
            (
                c.payload["connectorId"].as_i64().unwrap(),
                c.payload["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        unavailable,
        [
            (0, "Unavailable".to_string()),
            (1, "Unavailable".to_string()),
            (2, "Unavailable".to_string())
        ]
    );
    assert_eq!(f.statuses(), ["Unavailable", "Unavailable"]);
    assert_eq!(f.expect_install(), job);
    assert_eq!(f.trigger_firmware_status(), "Installing");
    // No transaction starts meanwhile.
    f.hw(hal::HardwareEvent::CablePlugged { connector: 1 });
    f.hw(hal::HardwareEvent::CardPresented {
        connector: 1,
        id_tag: "TAG1".into(),
    });
    assert!(f
        .answer_all()
        .iter()
        .all(|c| c.action != "StartTransaction" && c.action != "Authorize"));
    f.hw(hal::HardwareEvent::CableUnplugged { connector: 1 });
    f.answer_all();
    assert!(f.h.resets.is_empty());

    f.input(Input::FirmwareInstalled {
        job,
        result: Ok(()),
    });
    assert_eq!(
        f.h.resets,
        [true],
        "a hard reset restarts into the new firmware"
    );
    f.h.expect_no_call();

    // The drivers restart the station from the same store; the hardware now reports 2.0.0.
    let mut f = f.reboot("2.0.0");
    assert_eq!(f.h.station.boot_reason(), "HardReset");
    f.input(Input::Connected);
    let boot = f.h.expect_call("BootNotification");
    assert_eq!(boot.payload["firmwareVersion"], "2.0.0");
    let payload = f.h.default_answer(&boot);
    f.answer(&boot, payload);
    let calls = f.answer_all();
    assert_eq!(calls[0].action, "FirmwareStatusNotification", "{calls:?}");
    assert_eq!(firmware_statuses(&calls), ["Installed"]);
    assert!(security_events(&calls).contains(&"FirmwareUpdated".to_string()));
    assert_eq!(f.statuses(), ["Available", "Available"]);
    assert_eq!(f.trigger_firmware_status(), "Idle");
    assert!(f.take_transfers().is_empty());

    // Nothing is left for a later run.
    let mut f = f.reboot("2.0.0");
    let calls = f.boot();
    assert!(firmware_statuses(&calls).is_empty(), "{calls:?}");
    assert!(f.take_transfers().is_empty());
}

#[test]
fn installed_is_not_sent_before_the_boot_notification_is_accepted() {
    let mut f = booted();
    let job = f.update_until_install();
    f.input(Input::FirmwareInstalled {
        job,
        result: Ok(()),
    });
    assert_eq!(f.h.resets, [true]);

    let mut f = f.reboot("2.0.0");
    f.input(Input::Connected);
    let boot = f.h.expect_call("BootNotification");
    let now = time(f.h.now);
    f.answer(
        &boot,
        json!({"status": "Pending", "currentTime": now, "interval": 60}),
    );
    f.h.expect_no_call();
    f.advance(60);
    let boot = f.h.expect_call("BootNotification");
    let payload = f.h.default_answer(&boot);
    f.answer(&boot, payload);
    assert_eq!(firmware_statuses(&f.answer_all()), ["Installed"]);
}

#[test]
fn tc_044_2_download_failed_after_the_retries() {
    let mut f = booted();
    f.update_firmware(f.h.now, json!({"retries": 2, "retryInterval": 30}));
    assert_eq!(firmware_statuses(&f.answer_all()), ["Downloading"]);
    let (job, _) = f.expect_download();
    let t = f.h.now;

    for retry in 1..=2 {
        f.input(Input::FirmwareDownloaded {
            job,
            result: Err("HTTP 404".into()),
        });
        assert!(firmware_statuses(&f.answer_all()).is_empty(), "no news yet");
        let at = f.h.now + Duration::seconds(30);
        f.advance(29);
        f.answer_all();
        assert!(f.take_transfers().is_empty(), "retry {retry} too early");
        f.advance_to_deadline(at);
        let (again, url) = f.expect_download();
        assert_eq!((again, url.as_str()), (job, URL));
        assert!(
            firmware_statuses(&f.answer_all()).is_empty(),
            "Downloading once"
        );
        assert_eq!(f.h.now, t + Duration::seconds(30 * retry));
    }
    f.input(Input::FirmwareDownloaded {
        job,
        result: Err("HTTP 404".into()),
    });
    assert_eq!(firmware_statuses(&f.answer_all()), ["DownloadFailed"]);
    f.advance(3600);
    f.answer_all();
    assert!(f.take_transfers().is_empty(), "the job is over");
    assert_eq!(f.trigger_firmware_status(), "Idle");
    assert_eq!(f.statuses(), ["Available", "Available"]);
}

#[test]
fn without_retries_given_the_station_tries_the_default_number_of_times() {
    let mut f = booted();
    f.update_firmware(f.h.now, json!({}));
    f.answer_all();
    let (job, _) = f.expect_download();
    let mut tries = 1;
    loop {
        f.input(Input::FirmwareDownloaded {
            job,
            result: Err("timeout".into()),
        });
        if firmware_statuses(&f.answer_all()) == ["DownloadFailed"] {
            break;
        }
        f.advance(60);
        f.answer_all();
        f.expect_download();
        tries += 1;
    }
    assert_eq!(tries, 3, "the station's default: 2 retries");
}

#[test]
fn tc_044_3_installation_failed() {
    let mut f = booted();
    f.update_firmware(f.h.now, json!({}));
    f.answer_all();
    let (job, _) = f.expect_download();
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    assert_eq!(
        firmware_statuses(&f.answer_all()),
        ["Downloaded", "Installing"]
    );
    let job = f.expect_install();
    f.input(Input::FirmwareInstalled {
        job,
        result: Err("not a firmware image for this charger".into()),
    });
    let calls = f.answer_all();
    assert_eq!(firmware_statuses(&calls), ["InstallationFailed"]);
    assert_eq!(
        statuses_of(&calls, "StatusNotification"),
        ["Available", "Available", "Available"]
    );
    assert!(f.h.resets.is_empty());
    assert_eq!(f.trigger_firmware_status(), "Idle");
    // Charging works again.
    f.start_transaction(1);
}

#[test]
fn an_inoperative_station_stays_inoperative_after_a_failed_installation() {
    let mut f = booted();
    let conf = f.call(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Inoperative"}),
    );
    assert_eq!(conf["status"], "Accepted");
    f.answer_all();
    let job = f.update_until_install();
    f.input(Input::FirmwareInstalled {
        job,
        result: Err("flash write error".into()),
    });
    f.answer_all();
    assert_eq!(f.statuses(), ["Unavailable", "Unavailable"]);
}

#[test]
fn tc_044_3_an_update_requested_during_a_transaction_waits_until_it_ends() {
    let mut f = booted();
    f.start_transaction(1);
    f.update_firmware(f.h.now, json!({}));
    f.advance(600);
    let calls = f.answer_all();
    assert!(firmware_statuses(&calls).is_empty(), "{calls:?}");
    assert!(
        f.take_transfers().is_empty(),
        "AQ-4: no download during a transaction"
    );
    assert_eq!(f.trigger_firmware_status(), "Idle");
    // No deadline of the update's: the end of the transaction wakes it.
    let timeout = f.h.wake_at().unwrap();
    assert!(timeout > f.h.now);

    f.stop_transaction(1);
    let calls = f.answer_all();
    assert!(calls.iter().any(|c| c.action == "StopTransaction"));
    assert_eq!(firmware_statuses(&calls), ["Downloading"]);
    let (job, _) = f.expect_download();

    // A transaction that starts during the download delays the installation: connector 2
    // is taken out of service meanwhile, connector 1 charges on.
    f.hw(hal::HardwareEvent::CableUnplugged { connector: 1 });
    f.answer_all();
    f.start_transaction(1);
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    assert_eq!(firmware_statuses(&f.answer_all()), ["Downloaded"]);
    assert!(
        f.take_transfers().is_empty(),
        "no installation during a transaction"
    );
    assert_eq!(f.statuses(), ["Charging", "Unavailable"]);
    f.hw(hal::HardwareEvent::CardPresented {
        connector: 2,
        id_tag: "TAG2".into(),
    });
    assert!(f.answer_all().iter().all(|c| c.action != "Authorize"));

    f.stop_transaction(1);
    assert_eq!(firmware_statuses(&f.answer_all()), ["Installing"]);
    assert_eq!(f.expect_install(), job);
    f.hw(hal::HardwareEvent::CableUnplugged { connector: 1 });
    f.answer_all();
    assert_eq!(f.statuses(), ["Unavailable", "Unavailable"]);
}

#[test]
fn tc_044_1_retrieve_date_in_the_future() {
    let mut f = booted();
    let retrieve = f.h.now + Duration::hours(2);
    f.update_firmware(retrieve, json!({}));
    assert!(firmware_statuses(&f.answer_all()).is_empty());
    while f.h.now + Duration::seconds(300) < retrieve {
        f.advance(300);
        f.answer_all();
        assert!(f.take_transfers().is_empty(), "too early at {}", f.h.now);
    }
    assert!(f.h.wake_at().unwrap() <= retrieve);
    f.h.now = retrieve - Duration::seconds(1);
    f.input(Input::Tick);
    assert!(f.take_transfers().is_empty());
    f.h.now = retrieve;
    f.input(Input::Tick);
    assert_eq!(firmware_statuses(&f.answer_all()), ["Downloading"]);
    f.expect_download();
}

#[test]
fn power_loss_during_the_download_downloads_again_and_never_reports_installed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let open = || -> Box<dyn Store> { Box::new(store::SqliteStore::open(&path).unwrap()) };
    let mut f = Fw::on_store(open(), t0(), "0.1.0");
    f.boot();
    f.update_firmware(f.h.now, json!({"retries": 0}));
    assert_eq!(firmware_statuses(&f.answer_all()), ["Downloading"]);
    let (first, _) = f.expect_download();
    let now = f.h.now + Duration::seconds(30);
    drop(f);

    // Power back: the same database, the old firmware.
    let mut f = Fw::on_store(open(), now, "0.1.0");
    let calls = f.boot();
    assert!(
        !firmware_statuses(&calls).contains(&"Installed".to_string()),
        "{calls:?}"
    );
    let (second, url) = f.expect_download();
    assert_eq!(url, URL);
    assert_ne!(second, first, "a new job id: answers from before are stale");
    // A late answer for the interrupted download changes nothing.
    f.input(Input::FirmwareDownloaded {
        job: first,
        result: Ok(()),
    });
    assert!(firmware_statuses(&f.answer_all()).is_empty());
    assert!(f.take_transfers().is_empty());
    assert_eq!(f.trigger_firmware_status(), "Downloading");

    // Power lost again while installing: still no Installed, the update starts over.
    f.input(Input::FirmwareDownloaded {
        job: second,
        result: Ok(()),
    });
    assert_eq!(
        firmware_statuses(&f.answer_all()),
        ["Downloaded", "Installing"]
    );
    let third = f.expect_install();
    drop(f);
    let mut f = Fw::on_store(open(), now, "0.1.0");
    let calls = f.boot();
    // It told Installing, now it downloads again.
    assert_eq!(firmware_statuses(&calls), ["Downloading"]);
    assert_eq!(f.statuses(), ["Available", "Available"]);
    let (fourth, _) = f.expect_download();
    assert!(fourth > third);
    f.input(Input::FirmwareInstalled {
        job: third,
        result: Ok(()),
    });
    assert!(
        f.h.resets.is_empty(),
        "a stale installation report is ignored"
    );
    assert!(firmware_statuses(&f.answer_all()).is_empty());
}

#[test]
fn a_new_update_replaces_the_one_waiting() {
    let mut f = booted();
    f.update_firmware(f.h.now + Duration::hours(1), json!({}));
    let newer = "ftp://user:secret@firmware.example.com/fw-2.0.1.bin";
    let req = json!({"location": newer, "retrieveDate": time(f.h.now)});
    assert_eq!(f.call("UpdateFirmware", req), json!({}));
    assert_eq!(firmware_statuses(&f.answer_all()), ["Downloading"]);
    assert_eq!(f.expect_download().1, newer);
    f.advance(3600);
    f.answer_all();
    assert!(f.take_transfers().is_empty(), "the first one is gone");
}

/// A new UpdateFirmware for later replaces a download under way: the drivers are told to
/// stop it at once (Output::CancelJob), not when the new job's download begins.
#[test]
fn a_replaced_update_cancels_its_download_at_once() {
    let mut f = booted();
    f.update_firmware(f.h.now, json!({}));
    f.answer_all();
    let (first, _) = f.expect_download();
    assert!(f.h.cancelled.is_empty());
    f.update_firmware(f.h.now + Duration::hours(1), json!({}));
    assert_eq!(f.h.cancelled, [first]);
    assert!(f.take_transfers().is_empty(), "the new one waits");
    // Downloaded and waiting for a transaction to end: its image is dropped too.
    let mut f = booted();
    f.update_firmware(f.h.now, json!({}));
    f.answer_all();
    let (job, _) = f.expect_download();
    f.start_transaction(1);
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    f.answer_all();
    assert!(f.take_transfers().is_empty(), "the transaction runs");
    f.update_firmware(f.h.now + Duration::hours(1), json!({}));
    assert_eq!(f.h.cancelled, [job]);
    // Installing: too late to cancel; nothing is cancelled.
    let mut f = booted();
    f.update_until_install();
    f.update_firmware(f.h.now, json!({}));
    assert!(f.h.cancelled.is_empty());
    // A job that never started its download has nothing to stop.
    let mut f = booted();
    f.update_firmware(f.h.now + Duration::hours(1), json!({}));
    f.update_firmware(f.h.now + Duration::hours(2), json!({}));
    assert!(f.h.cancelled.is_empty());
}

#[test]
fn a_signed_update_replacing_a_download_cancels_it() {
    let pki = pki();
    let mut f = signed_station(&pki);
    assert_eq!(
        f.signed_update(1, &pki.signer.cert_pem, f.h.now, None),
        "Accepted"
    );
    f.answer_all();
    let (job, _) = f.expect_download();
    let later = f.h.now + Duration::hours(1);
    assert_eq!(
        f.signed_update(2, &pki.signer.cert_pem, later, None),
        "AcceptedCanceled"
    );
    assert_eq!(f.h.cancelled, [job]);
}

#[test]
fn an_unsupported_location_fails_the_download_at_once() {
    let mut f = booted();
    let req = json!({"location": "file:///tmp/fw.bin", "retrieveDate": time(f.h.now)});
    assert_eq!(f.call("UpdateFirmware", req), json!({}));
    assert_eq!(firmware_statuses(&f.answer_all()), ["DownloadFailed"]);
    assert!(f.take_transfers().is_empty());
}

#[test]
fn statuses_are_durable_and_go_out_after_a_reconnect() {
    let mut f = booted();
    f.update_firmware(f.h.now, json!({}));
    f.answer_all();
    let (job, _) = f.expect_download();
    f.input(Input::Disconnected);
    f.input(Input::FirmwareDownloaded {
        job,
        result: Err("connection reset".into()),
    });
    f.advance(60);
    f.expect_download();
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    f.expect_install();
    f.input(Input::Connected);
    assert_eq!(
        firmware_statuses(&f.answer_all()),
        ["Downloaded", "Installing"]
    );
}

// ---- SignedUpdateFirmware (security extension) ----

const SIGNATURE: &str = "c2lnbmF0dXJlIG92ZXIgdGhlIGZpcm13YXJl";

struct Pki {
    root: certs::pki::Authority,
    signer: certs::pki::Issued,
}

fn validity() -> certs::pki::Validity {
    // Relative to the system clock, wide enough to hold the tests' clock (2027) for years.
    let twenty_years = 20 * 365 * 86_400;
    certs::pki::Validity {
        from_secs: -twenty_years,
        until_secs: twenty_years,
    }
}

fn pki() -> Pki {
    let root = certs::pki::Authority::new("Manufacturer root", validity()).unwrap();
    let signer = root.client("Firmware signing", validity()).unwrap();
    Pki { root, signer }
}

/// A booted station with the manufacturer's root installed.
fn signed_station(pki: &Pki) -> Fw {
    let mut store = store::MemoryStore::new();
    store
        .certificate_add(&store::StoredCertificate {
            id: 0,
            use_: "ManufacturerRootCertificate".into(),
            pem: pki.root.root.cert_pem.clone(),
            private_key_pem: None,
            installed_at: t0(),
        })
        .unwrap();
    let mut f = Fw::on_store(Box::new(store), t0(), "0.1.0");
    f.boot();
    f
}

impl Fw {
    fn signed_update(
        &mut self,
        request_id: i32,
        certificate: &str,
        retrieve: DateTime<Utc>,
        install: Option<DateTime<Utc>>,
    ) -> String {
        let mut firmware = json!({
            "location": URL,
            "retrieveDateTime": time(retrieve),
            "signingCertificate": certificate,
            "signature": SIGNATURE,
        });
        if let Some(at) = install {
            firmware["installDateTime"] = json!(time(at));
        }
        let conf = self.call(
        "SignedUpdateFirmware",
        json!({"requestId": request_id, "retries": 1, "retryInterval": 10, "firmware": firmware}),
    );
        conf["status"].as_str().unwrap().to_string()
    }
}

/// (status, requestId) of the SignedFirmwareStatusNotifications among `calls`.
fn signed_statuses(calls: &[Call]) -> Vec<(String, i64)> {
    calls
        .iter()
        .filter(|c| c.action == "SignedFirmwareStatusNotification")
        .map(|c| {
            (
                c.payload["status"].as_str().unwrap().to_string(),
                c.payload["requestId"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn expect_signed(calls: &[Call], request_id: i64, expected: &[&str]) {
    let got = signed_statuses(calls);
    let want: Vec<(String, i64)> = expected
        .iter()
        .map(|s| (s.to_string(), request_id))
        .collect();
    assert_eq!(got, want, "{calls:?}");
}

#[test]
fn tc_080_secure_firmware_update() {
    let pki = pki();
    let mut f = signed_station(&pki);
    let retrieve = f.h.now + Duration::seconds(60);
    let install = f.h.now + Duration::seconds(600);
    let status = f.signed_update(7, &pki.signer.cert_pem, retrieve, Some(install));
    assert_eq!(status, "Accepted");
    expect_signed(&f.answer_all(), 7, &["DownloadScheduled"]);
    assert!(f.take_transfers().is_empty());

    f.advance_to_deadline(retrieve);
    expect_signed(&f.answer_all(), 7, &["Downloading"]);
    let (job, url) = f.expect_download();
    assert_eq!(url, URL);
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    expect_signed(&f.answer_all(), 7, &["Downloaded"]);
    match f.take_transfers().as_slice() {
        [Output::VerifyFirmware {
            job: verified,
            signing_certificate,
            signature,
        }] => {
            assert_eq!(*verified, job);
            assert_eq!(signing_certificate, &pki.signer.cert_pem);
            assert_eq!(signature, SIGNATURE);
        }
        other => panic!("expected VerifyFirmware, got {other:?}"),
    }
    f.input(Input::FirmwareVerified { job, valid: true });
    expect_signed(
        &f.answer_all(),
        7,
        &["SignatureVerified", "InstallScheduled"],
    );
    assert!(f.take_transfers().is_empty(), "not before installDateTime");
    assert_eq!(f.statuses(), ["Available", "Available"]);

    f.advance_to_deadline(install);
    let calls = f.answer_all();
    expect_signed(&calls, 7, &["Installing"]);
    assert_eq!(f.statuses(), ["Unavailable", "Unavailable"]);
    assert_eq!(f.expect_install(), job);
    f.input(Input::FirmwareInstalled {
        job,
        result: Ok(()),
    });
    // InstallRebooting is delivered before the reset.
    assert!(f.h.resets.is_empty());
    expect_signed(&f.answer_all(), 7, &["InstallRebooting"]);
    assert_eq!(f.h.resets, [true]);

    let mut f = f.reboot("2.0.0");
    let calls = f.boot();
    assert_eq!(calls[0].payload["firmwareVersion"], "2.0.0");
    assert_eq!(calls[1].action, "SignedFirmwareStatusNotification");
    expect_signed(&calls, 7, &["Installed"]);
}

#[test]
fn tc_081_secure_firmware_update_invalid_signature() {
    let pki = pki();
    let mut f = signed_station(&pki);
    let status = f.signed_update(8, &pki.signer.cert_pem, f.h.now, None);
    assert_eq!(status, "Accepted");
    expect_signed(&f.answer_all(), 8, &["Downloading"]);
    let (job, _) = f.expect_download();
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    f.answer_all();
    assert!(matches!(
        f.take_transfers().as_slice(),
        [Output::VerifyFirmware { .. }]
    ));
    f.input(Input::FirmwareVerified { job, valid: false });
    let calls = f.answer_all();
    expect_signed(&calls, 8, &["InvalidSignature"]);
    assert_eq!(security_events(&calls), ["InvalidFirmwareSignature"]);
    let logged: Vec<String> =
        f.h.station
            .security_log()
            .into_iter()
            .map(|e| e.kind)
            .collect();
    assert!(logged.contains(&"InvalidFirmwareSignature".to_string()));
    assert!(f.take_transfers().is_empty(), "never installed");
    assert_eq!(f.statuses(), ["Available", "Available"]);
    assert_eq!(f.trigger_firmware_status(), "Idle");
}

#[test]
fn a_signing_certificate_that_does_not_chain_is_refused() {
    let pki = pki();
    let mut f = signed_station(&pki);
    let stranger = certs::pki::Authority::new("Someone else", validity()).unwrap();
    let forged = stranger.client("Firmware signing", validity()).unwrap();
    let status = f.signed_update(9, &forged.cert_pem, f.h.now, None);
    assert_eq!(status, "InvalidCertificate");
    let calls = f.answer_all();
    assert!(signed_statuses(&calls).is_empty(), "{calls:?}");
    assert_eq!(
        security_events(&calls),
        ["InvalidFirmwareSigningCertificate"]
    );
    f.advance(60);
    f.answer_all();
    assert!(f.take_transfers().is_empty(), "no job");
}

#[test]
fn without_a_manufacturer_root_every_signing_certificate_is_refused() {
    let mut f = booted();
    let status = f.signed_update(
        10,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        f.h.now,
        None,
    );
    assert_eq!(status, "InvalidCertificate");
    assert_eq!(
        security_events(&f.answer_all()),
        ["InvalidFirmwareSigningCertificate"]
    );
    assert!(f.take_transfers().is_empty());
}

#[test]
fn a_second_signed_update_cancels_the_first() {
    let pki = pki();
    let mut f = signed_station(&pki);
    let later = f.h.now + Duration::hours(1);
    assert_eq!(
        f.signed_update(1, &pki.signer.cert_pem, later, None),
        "Accepted"
    );
    expect_signed(&f.answer_all(), 1, &["DownloadScheduled"]);
    assert_eq!(
        f.signed_update(2, &pki.signer.cert_pem, f.h.now, None),
        "AcceptedCanceled"
    );
    expect_signed(&f.answer_all(), 2, &["Downloading"]);
    let (job, _) = f.expect_download();
    // A third while downloading cancels the second; its download's result is stale.
    assert_eq!(
        f.signed_update(3, &pki.signer.cert_pem, f.h.now, None),
        "AcceptedCanceled"
    );
    expect_signed(&f.answer_all(), 3, &["Downloading"]);
    let (third, _) = f.expect_download();
    assert_ne!(third, job);
    f.input(Input::FirmwareDownloaded {
        job,
        result: Ok(()),
    });
    assert!(f.answer_all().is_empty());
    f.advance_to_deadline(f.h.wake_at().unwrap());
    f.answer_all();
    assert!(f.take_transfers().is_empty(), "the first one never runs");
}

#[test]
fn a_signed_update_waits_for_transactions_paused() {
    let pki = pki();
    let mut f = signed_station(&pki);
    f.start_transaction(2);
    assert_eq!(
        f.signed_update(4, &pki.signer.cert_pem, f.h.now, None),
        "Accepted"
    );
    expect_signed(&f.answer_all(), 4, &["DownloadPaused"]);
    assert!(f.take_transfers().is_empty());
    f.stop_transaction(2);
    expect_signed(&f.answer_all(), 4, &["Downloading"]);
    let (job, _) = f.expect_download();
    // A failed download is retried after retryInterval (10 s), then given up.
    f.input(Input::FirmwareDownloaded {
        job,
        result: Err("550 no such file".into()),
    });
    f.advance(10);
    f.expect_download();
    f.input(Input::FirmwareDownloaded {
        job,
        result: Err("550 no such file".into()),
    });
    expect_signed(&f.answer_all(), 4, &["DownloadFailed"]);
}

#[test]
fn an_unsupported_location_is_rejected_for_a_signed_update() {
    let mut f = booted();
    let conf = f.call(
        "SignedUpdateFirmware",
        json!({"requestId": 5, "firmware": {
            "location": "gopher://firmware.example.com/fw.bin",
            "retrieveDateTime": time(f.h.now),
            "signingCertificate": "PEM",
            "signature": SIGNATURE,
        }}),
    );
    assert_eq!(conf["status"], "Rejected");
    assert!(f.answer_all().is_empty());
}

#[test]
fn change_availability_during_the_installation_applies_afterwards() {
    let mut f = booted();
    let job = f.update_until_install();
    let conf = f.call(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Operative"}),
    );
    assert_eq!(conf["status"], "Accepted");
    f.answer_all();
    assert_eq!(
        f.statuses(),
        ["Unavailable", "Unavailable"],
        "still installing"
    );
    let conf = f.call(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Inoperative"}),
    );
    assert_eq!(conf["status"], "Accepted");
    f.input(Input::FirmwareInstalled {
        job,
        result: Err("bad image".into()),
    });
    f.answer_all();
    assert_eq!(
        f.statuses(),
        ["Unavailable", "Unavailable"],
        "as the CS said"
    );
}
