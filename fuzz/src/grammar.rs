//! What a Central System sends: requests of every action it may call and answers to the
//! station's own requests. Values come from small pools of plausible ones (ids that meet,
//! dates near now, enum values of the schema), so most payloads are valid and reach the
//! station's logic; [`crate::gen::maybe_mutate`] breaks some of them on purpose.

use crate::gen::{connector, date, id_tag, json, one_in, pick, small_id, string};
use arbitrary::{Result, Unstructured};
use chrono::{DateTime, Utc};
use ocpp::Action;
use serde_json::{json, Map, Value};

/// Actions a Central System calls on a charge point.
pub const CS_ACTIONS: &[Action] = &[
    Action::RemoteStartTransaction,
    Action::RemoteStopTransaction,
    Action::SetChargingProfile,
    Action::ClearChargingProfile,
    Action::GetCompositeSchedule,
    Action::Reset,
    Action::ReserveNow,
    Action::CancelReservation,
    Action::ChangeAvailability,
    Action::ChangeConfiguration,
    Action::GetConfiguration,
    Action::ClearCache,
    Action::TriggerMessage,
    Action::ExtendedTriggerMessage,
    Action::UnlockConnector,
    Action::UpdateFirmware,
    Action::SignedUpdateFirmware,
    Action::GetDiagnostics,
    Action::GetLog,
    Action::SendLocalList,
    Action::GetLocalListVersion,
    Action::DataTransfer,
    Action::CertificateSigned,
    Action::InstallCertificate,
    Action::DeleteCertificate,
    Action::GetInstalledCertificateIds,
];

/// Configuration keys worth changing (RW ones with effects, a read-only one, an unknown one).
const KEYS: &[&str] = &[
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ClockAlignedDataInterval",
    "MeterValuesSampledData",
    "MeterValuesAlignedData",
    "StopTxnSampledData",
    "TransactionMessageAttempts",
    "TransactionMessageRetryInterval",
    "ConnectionTimeOut",
    "AuthorizeRemoteTxRequests",
    "LocalAuthorizeOffline",
    "LocalPreAuthorize",
    "AllowOfflineTxForUnknownId",
    "AuthorizationCacheEnabled",
    "LocalAuthListEnabled",
    "StopTransactionOnInvalidId",
    "StopTransactionOnEVSideDisconnect",
    "MaxEnergyOnInvalidId",
    "MinimumStatusDuration",
    "ResetRetries",
    "UnlockConnectorOnEVSideDisconnect",
    "WebSocketPingInterval",
    "SecurityProfile",
    "AuthorizationKey",
    "NumberOfConnectors",
    "CpoName",
    "NoSuchKey",
];

const VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "10",
    "60",
    "300",
    "900",
    "-1",
    "100000",
    "true",
    "false",
    "Energy.Active.Import.Register",
    "Energy.Active.Import.Register,Power.Active.Import,SoC",
    "Current.Import,Voltage",
    "0123456789abcdef0123",
    "",
    "x",
];

const URLS: &[&str] = &[
    "http://127.0.0.1:1/fw.bin",
    "ftp://user:pw@host/dir/",
    "https://example.test/up",
    "not a url",
    "",
];

const PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";

/// A request payload for `action` as a Central System would send it.
pub fn cs_request(u: &mut Unstructured, action: Action, now: DateTime<Utc>) -> Result<Value> {
    let c = connector(u)?;
    let tag = id_tag(u)?;
    let id = small_id(u)?;
    Ok(match action {
        Action::RemoteStartTransaction => {
            let mut v = json!({ "idTag": tag });
            opt(u, &mut v, "connectorId", |_| Ok(Value::from(c)))?;
            if one_in(u, 3)? {
                v["chargingProfile"] = profile(u, now, Some("TxProfile"))?;
            }
            v
        }
        Action::RemoteStopTransaction => json!({ "transactionId": id }),
        Action::SetChargingProfile => {
            json!({ "connectorId": c, "csChargingProfiles": profile(u, now, None)? })
        }
        Action::ClearChargingProfile => {
            let mut v = json!({});
            opt(u, &mut v, "id", |_| Ok(Value::from(id)))?;
            opt(u, &mut v, "connectorId", |_| Ok(Value::from(c)))?;
            let purpose = pick(
                u,
                &["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"],
            )?;
            opt(u, &mut v, "chargingProfilePurpose", |_| {
                Ok(Value::from(purpose))
            })?;
            opt(u, &mut v, "stackLevel", |u| {
                Ok(Value::from(u.int_in_range(0..=3)?))
            })?;
            v
        }
        Action::GetCompositeSchedule => {
            let duration = pick(u, &[0, 60, 3600, 86_400, -1])?;
            let mut v = json!({ "connectorId": c, "duration": duration });
            opt(u, &mut v, "chargingRateUnit", |u| {
                Ok(Value::from(pick(u, &["A", "W"])?))
            })?;
            v
        }
        Action::Reset => json!({ "type": pick(u, &["Hard", "Soft"])? }),
        Action::ReserveNow => {
            let mut v = json!({
                "connectorId": c, "expiryDate": date(u, now)?, "idTag": tag, "reservationId": id,
            });
            opt(u, &mut v, "parentIdTag", |_| Ok(Value::from("PARENT")))?;
            v
        }
        Action::CancelReservation => json!({ "reservationId": id }),
        Action::ChangeAvailability => {
            json!({ "connectorId": c, "type": pick(u, &["Inoperative", "Operative"])? })
        }
        Action::ChangeConfiguration => {
            json!({ "key": pick(u, KEYS)?, "value": pick(u, VALUES)? })
        }
        Action::GetConfiguration => {
            let mut v = json!({});
            if u.arbitrary()? {
                let n = u.int_in_range(0..=3)?;
                let keys: Vec<&str> = (0..n).map(|_| pick(u, KEYS)).collect::<Result<_>>()?;
                v["key"] = json!(keys);
            }
            v
        }
        Action::ClearCache | Action::GetLocalListVersion => json!({}),
        Action::TriggerMessage | Action::ExtendedTriggerMessage => {
            let messages: &[&str] = if action == Action::TriggerMessage {
                &[
                    "BootNotification",
                    "DiagnosticsStatusNotification",
                    "FirmwareStatusNotification",
                    "Heartbeat",
                    "MeterValues",
                    "StatusNotification",
                ]
            } else {
                &[
                    "BootNotification",
                    "LogStatusNotification",
                    "FirmwareStatusNotification",
                    "Heartbeat",
                    "MeterValues",
                    "SignChargePointCertificate",
                    "StatusNotification",
                ]
            };
            let mut v = json!({ "requestedMessage": pick(u, messages)? });
            opt(u, &mut v, "connectorId", |_| Ok(Value::from(c)))?;
            v
        }
        Action::UnlockConnector => json!({ "connectorId": c }),
        Action::UpdateFirmware | Action::GetDiagnostics => {
            let mut v = json!({ "location": pick(u, URLS)? });
            if action == Action::UpdateFirmware {
                v["retrieveDate"] = date(u, now)?;
            } else {
                opt(u, &mut v, "startTime", |u| date(u, now))?;
                opt(u, &mut v, "stopTime", |u| date(u, now))?;
            }
            retries(u, &mut v)?;
            v
        }
        Action::SignedUpdateFirmware => {
            let mut firmware = json!({
                "location": pick(u, URLS)?, "retrieveDateTime": date(u, now)?,
                "signingCertificate": PEM, "signature": "c2lnbmF0dXJl",
            });
            opt(u, &mut firmware, "installDateTime", |u| date(u, now))?;
            let mut v = json!({ "requestId": id, "firmware": firmware });
            retries(u, &mut v)?;
            v
        }
        Action::GetLog => {
            let mut log = json!({ "remoteLocation": pick(u, URLS)? });
            opt(u, &mut log, "oldestTimestamp", |u| date(u, now))?;
            opt(u, &mut log, "latestTimestamp", |u| date(u, now))?;
            let log_type = pick(u, &["DiagnosticsLog", "SecurityLog"])?;
            let mut v = json!({ "logType": log_type, "requestId": id, "log": log });
            retries(u, &mut v)?;
            v
        }
        Action::SendLocalList => {
            let n = u.int_in_range(0..=3)?;
            let mut list = Vec::new();
            for _ in 0..n {
                let mut entry = json!({ "idTag": id_tag(u)? });
                opt(u, &mut entry, "idTagInfo", |u| id_tag_info(u, now))?;
                list.push(entry);
            }
            let update = pick(u, &["Full", "Differential"])?;
            let mut v = json!({ "listVersion": id, "updateType": update });
            opt(u, &mut v, "localAuthorizationList", |_| {
                Ok(Value::from(list))
            })?;
            v
        }
        Action::DataTransfer => {
            let mut v = json!({ "vendorId": pick(u, &["com.example", "", "Chargepoint"])? });
            opt(u, &mut v, "messageId", |_| Ok(Value::from("msg")))?;
            opt(u, &mut v, "data", |u| Ok(Value::from(string(u)?)))?;
            v
        }
        Action::CertificateSigned => json!({ "certificateChain": pem(u)? }),
        Action::InstallCertificate => json!({
            "certificateType": cert_use(u)?, "certificate": pem(u)?,
        }),
        Action::DeleteCertificate => json!({ "certificateHashData": hash_data(u)? }),
        Action::GetInstalledCertificateIds => json!({ "certificateType": cert_use(u)? }),
        // Actions a Central System does not call: an arbitrary object.
        _ => json(u, 3)?,
    })
}

/// A CALLRESULT payload answering the station's own CALL of `action`.
pub fn cs_answer(u: &mut Unstructured, action: Action, now: DateTime<Utc>) -> Result<Value> {
    Ok(match action {
        Action::BootNotification => json!({
            "status": pick(u, &["Accepted", "Accepted", "Pending", "Rejected"])?,
            "currentTime": date(u, now)?,
            "interval": pick(u, &[300, 0, 10, 86_400])?,
        }),
        Action::Heartbeat => json!({ "currentTime": date(u, now)? }),
        Action::Authorize => json!({ "idTagInfo": id_tag_info(u, now)? }),
        Action::StartTransaction => json!({
            "idTagInfo": id_tag_info(u, now)?, "transactionId": small_id(u)?,
        }),
        Action::StopTransaction => {
            let mut v = json!({});
            opt(u, &mut v, "idTagInfo", |u| id_tag_info(u, now))?;
            v
        }
        Action::DataTransfer => json!({
            "status": pick(u, &["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"])?,
        }),
        Action::SignCertificate => json!({ "status": pick(u, &["Accepted", "Rejected"])? }),
        _ => json!({}),
    })
}

/// What a well-behaved Central System answers (used to settle the station at the end).
pub fn good_answer(action: Action, now: DateTime<Utc>, tx_id: i64) -> Value {
    let time = ocpp::datetime::format(&now);
    match action {
        Action::BootNotification => {
            json!({ "status": "Accepted", "currentTime": time, "interval": 300 })
        }
        Action::Heartbeat => json!({ "currentTime": time }),
        Action::Authorize => json!({ "idTagInfo": { "status": "Accepted" } }),
        Action::StartTransaction => {
            json!({ "idTagInfo": { "status": "Accepted" }, "transactionId": tx_id })
        }
        Action::DataTransfer | Action::SignCertificate => json!({ "status": "Accepted" }),
        _ => json!({}),
    }
}

fn id_tag_info(u: &mut Unstructured, now: DateTime<Utc>) -> Result<Value> {
    let status = pick(
        u,
        &[
            "Accepted",
            "Accepted",
            "Blocked",
            "Expired",
            "Invalid",
            "ConcurrentTx",
        ],
    )?;
    let mut v = json!({ "status": status });
    opt(u, &mut v, "expiryDate", |u| date(u, now))?;
    opt(u, &mut v, "parentIdTag", |_| Ok(Value::from("PARENT")))?;
    Ok(v)
}

/// A charging profile; `purpose` fixed (RemoteStart wants a TxProfile) or any.
fn profile(u: &mut Unstructured, now: DateTime<Utc>, purpose: Option<&str>) -> Result<Value> {
    let purpose = match purpose {
        Some(p) => p,
        None => pick(
            u,
            &["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"],
        )?,
    };
    let kind = pick(u, &["Absolute", "Recurring", "Relative"])?;
    let mut periods = Vec::new();
    let mut start = 0;
    for _ in 0..u.int_in_range(1..=3)? {
        let limit = f64::from(u.int_in_range(0..=5000u16)?) / 10.0;
        let mut p = json!({ "startPeriod": start, "limit": limit });
        opt(u, &mut p, "numberPhases", |u| {
            Ok(Value::from(u.int_in_range(1..=3)?))
        })?;
        periods.push(p);
        start += pick(u, &[60, 600, 3600])?;
    }
    let mut schedule = json!({
        "chargingRateUnit": pick(u, &["A", "W"])?, "chargingSchedulePeriod": periods,
    });
    opt(u, &mut schedule, "duration", |u| {
        Ok(Value::from(pick(u, &[60, 3600, 86_400])?))
    })?;
    opt(u, &mut schedule, "startSchedule", |u| date(u, now))?;
    opt(u, &mut schedule, "minChargingRate", |_| {
        Ok(Value::from(6.0))
    })?;
    let mut v = json!({
        "chargingProfileId": small_id(u)?, "stackLevel": u.int_in_range(0..=3)?,
        "chargingProfilePurpose": purpose, "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    });
    if kind == "Recurring" || one_in(u, 8)? {
        v["recurrencyKind"] = Value::from(pick(u, &["Daily", "Weekly"])?);
    }
    opt(u, &mut v, "transactionId", |u| {
        Ok(Value::from(small_id(u)?))
    })?;
    opt(u, &mut v, "validFrom", |u| date(u, now))?;
    opt(u, &mut v, "validTo", |u| date(u, now))?;
    Ok(v)
}

fn retries(u: &mut Unstructured, v: &mut Value) -> Result<()> {
    opt(u, v, "retries", |u| Ok(Value::from(u.int_in_range(0..=3)?)))?;
    opt(u, v, "retryInterval", |u| {
        Ok(Value::from(pick(u, &[0, 30, 600])?))
    })
}

fn cert_use(u: &mut Unstructured) -> Result<&'static str> {
    pick(
        u,
        &[
            "CentralSystemRootCertificate",
            "ManufacturerRootCertificate",
        ],
    )
}

fn pem(u: &mut Unstructured) -> Result<String> {
    if one_in(u, 4)? {
        return string(u);
    }
    Ok(PEM.to_owned())
}

fn hash_data(u: &mut Unstructured) -> Result<Value> {
    Ok(json!({
        "hashAlgorithm": pick(u, &["SHA256", "SHA384", "SHA512"])?,
        "issuerNameHash": pick(u, &["00ff", "a1b2c3"])?,
        "issuerKeyHash": pick(u, &["00ff", "d4e5f6"])?,
        "serialNumber": pick(u, &["01", "1f"])?,
    }))
}

/// Sets `v[field] = value` half of the time (an optional field present or absent).
fn opt(
    u: &mut Unstructured,
    v: &mut Value,
    field: &str,
    value: impl FnOnce(&mut Unstructured) -> Result<Value>,
) -> Result<()> {
    if u.arbitrary()? {
        let value = value(u)?;
        if let Value::Object(map) = v {
            map.insert(field.to_owned(), value);
        }
    }
    Ok(())
}

/// An arbitrary object payload (for mutations' sake typed as a map).
pub fn any_object(u: &mut Unstructured) -> Result<Value> {
    let n = u.int_in_range(0..=4)?;
    let mut map = Map::new();
    for _ in 0..n {
        map.insert(pick(u, crate::gen::FIELDS)?.to_owned(), json(u, 3)?);
    }
    Ok(Value::Object(map))
}
