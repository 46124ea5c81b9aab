//! DataTransfer from the Central System (section 5.6; TC_062): the hook for a station
//! maker's own messages.
//!
//! A maker registers a handler per (vendorId, messageId) in [`DataTransferVendors`] and puts
//! it in [`StationConfig::data_transfer`] (the runner's `RunOptions::data_transfer`):
//!
//! ```
//! use station::{DataTransferVendors, StationConfig};
//! use ocpp::{DataTransferResponse, DataTransferStatus};
//!
//! let mut vendors = DataTransferVendors::default();
//! vendors.register("com.example", "GetFanSpeed", |_data: Option<&str>| DataTransferResponse {
//!     status: DataTransferStatus::Accepted,
//!     data: Some("{\"rpm\":2400}".into()),
//! });
//! # let info = hal::ChargerInfo { vendor: "V".into(), model: "M".into(),
//! #     serial_number: "S".into(), firmware_version: "1".into(), meter_type: "T".into(),
//! #     meter_serial_number: "S-M".into() };
//! let mut cfg = StationConfig::new(info, 2);
//! cfg.data_transfer = vendors;
//! ```
//!
//! The station answers UnknownVendorId for a vendorId nobody registered, UnknownMessageId
//! for a registered vendor without a handler for that messageId (a request without
//! messageId looks up the messageId ""), and otherwise what the handler returns. vendorId and
//! messageId compare case-insensitively, as OCPP's CiString says. Handlers are plain
//! functions of the request: like the rest of the station core they do no IO.

use ocpp::{DataTransferRequest, DataTransferResponse, DataTransferStatus};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Answers one vendor message; gets the request's `data`.
pub type DataTransferHandler = Arc<dyn Fn(Option<&str>) -> DataTransferResponse + Send + Sync>;

/// The vendor extensions a station knows: vendorId -> messageId -> handler.
#[derive(Clone, Default)]
pub struct DataTransferVendors {
    vendors: BTreeMap<String, BTreeMap<String, DataTransferHandler>>,
}

impl DataTransferVendors {
    /// Know `vendor_id` without any message yet: its messages are answered UnknownMessageId.
    pub fn add_vendor(&mut self, vendor_id: &str) -> &mut Self {
        self.vendors
            .entry(vendor_id.to_ascii_lowercase())
            .or_default();
        self
    }

    /// Answer `message_id` of `vendor_id` ("" for requests without a messageId).
    pub fn register(
        &mut self,
        vendor_id: &str,
        message_id: &str,
        handler: impl Fn(Option<&str>) -> DataTransferResponse + Send + Sync + 'static,
    ) -> &mut Self {
        self.vendors
            .entry(vendor_id.to_ascii_lowercase())
            .or_default()
            .insert(message_id.to_ascii_lowercase(), Arc::new(handler));
        self
    }

    /// The answer to a DataTransfer.req.
    pub fn answer(&self, req: &DataTransferRequest) -> DataTransferResponse {
        let unknown = |status| DataTransferResponse { status, data: None };
        let Some(messages) = self
            .vendors
            .get(&req.vendor_id.as_str().to_ascii_lowercase())
        else {
            return unknown(DataTransferStatus::UnknownVendorId);
        };
        let message_id = req
            .message_id
            .as_ref()
            .map(|m| m.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        match messages.get(&message_id) {
            Some(handler) => handler(req.data.as_deref()),
            None => unknown(DataTransferStatus::UnknownMessageId),
        }
    }
}

impl fmt::Debug for DataTransferVendors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.vendors
                    .iter()
                    .map(|(vendor, messages)| (vendor, messages.keys().collect::<Vec<_>>())),
            )
            .finish()
    }
}
