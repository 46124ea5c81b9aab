//! DataTransfer from the Central System (section 5.6).

use crate::station::Station;
use chrono::{DateTime, Utc};
use ocpp::{DataTransferRequest, DataTransferResponse, DataTransferStatus};

impl Station {
    pub(crate) fn on_data_transfer(
        &mut self,
        unique_id: &str,
        _req: DataTransferRequest,
        _now: DateTime<Utc>,
    ) {
        // No vendor extensions are known to this station.
        let resp = DataTransferResponse {
            status: DataTransferStatus::UnknownVendorId,
            data: None,
        };
        self.reply(unique_id, &resp);
    }
}
