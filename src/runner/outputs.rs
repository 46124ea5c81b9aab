//! Carrying out the station's outputs: frames onto the link, commands to the hardware, a
//! Reset, the clock, configuration the runner applies, and file jobs.

use super::event_loop::EventLoop;
use super::file_jobs::Slot;
use crate::frame_log;
use chrono::{DateTime, Utc};
use hal::{Charger, HardwareCommand};
use station::{Input, Output, UploadContent};

impl<C: Charger + 'static> EventLoop<C> {
    pub(super) async fn drain(&mut self, now: DateTime<Utc>) {
        while let Some(output) = self.core.poll_output() {
            self.durable().await;
            match output {
                Output::Send(text) => {
                    frame_log::log_frame("->", &text);
                    if self.opts.answer_times.is_some() {
                        self.pending_answers.sent(&text);
                    }
                    if let Err(e) = self.link.send(text).await {
                        self.core.handle(Input::Disconnected, now);
                        self.schedule_reconnect(now, &e.to_string());
                    }
                }
                Output::Hardware(cmd) => self.command(cmd, now),
                Output::Reset { hard } => self.reset = Some(hard),
                Output::ClockSync(t) => self.clock.sync(t),
                Output::ConfigChanged { key, value } => match key.as_str() {
                    // Takes effect with the next connection.
                    "WebSocketPingInterval" => {
                        self.ping_interval = super::core::ping_interval(value.parse().unwrap_or(0));
                    }
                    "SecurityProfile" => match value.parse::<u8>() {
                        Ok(profile) => self.switch_profile = Some(profile),
                        Err(_) => tracing::error!("SecurityProfile {value:?} is no profile"),
                    },
                    // A new Basic auth password (the value is left empty): reconnect with it.
                    "AuthorizationKey" => self.renew_password = true,
                    // A new ChargePointCertificate: with profile 3, reconnect presenting it
                    // (each attempt asks the station for it).
                    "ChargePointCertificate" => self.renew_certificate = true,
                    _ => {}
                },
                Output::DownloadFirmware { job, url } => {
                    let cfg = self.transfer_config();
                    self.jobs.download(job, url, cfg);
                }
                Output::VerifyFirmware {
                    job,
                    signing_certificate,
                    signature,
                } => self.jobs.verify(job, signing_certificate, signature),
                Output::CancelJob { job } => self.jobs.cancel(job),
                Output::InstallFirmware { job } => {
                    let result = self.jobs.install(job, &mut self.charger);
                    self.core
                        .handle(Input::FirmwareInstalled { job, result }, now);
                }
                Output::Upload {
                    job,
                    url,
                    file_name,
                    content,
                } => {
                    let slot = match content {
                        UploadContent::Diagnostics { .. } => Slot::Diagnostics,
                        UploadContent::DiagnosticsLog { .. }
                        | UploadContent::SecurityLog { .. } => Slot::Log,
                    };
                    let file = super::upload_file::snapshot(
                        &content,
                        self.core.station(),
                        &self.opts.id,
                        &self.charger.info(),
                        self.opts.log_capture.as_ref(),
                        now,
                    );
                    let cfg = self.transfer_config();
                    self.jobs.upload(slot, job, url, file_name, file, cfg);
                }
            }
        }
    }

    /// With a store that commits later (a fleet's database), wait until the station's writes
    /// are on disk before the world sees what follows from them.
    // `&mut self`: a shared borrow held across the await would need the loop to be Sync.
    async fn durable(&mut self) {
        let Some(durability) = self.opts.durability.as_ref().filter(|d| !d.is_durable()) else {
            return;
        };
        if let Err(e) = durability.wait().await {
            tracing::error!("{}: its writes are not stored: {e}", self.opts.id);
        }
    }

    fn command(&mut self, cmd: HardwareCommand, now: DateTime<Utc>) {
        let result = self.charger.command(cmd.clone(), now);
        if let Err(e) = &result {
            tracing::error!("hardware refused {cmd:?}: {e}");
        }
        if let HardwareCommand::Unlock { connector } = cmd {
            let unlocked = result.is_ok();
            self.core.handle(
                Input::UnlockResult {
                    connector,
                    unlocked,
                },
                now,
            );
        }
    }

    /// How transfers connect: trusting the installed Central System and manufacturer roots
    /// (and the system's, unless switched off).
    fn transfer_config(&self) -> transfer::TransferConfig {
        let mut roots = self.core.station().tls_roots();
        roots.extend(self.core.station().manufacturer_roots());
        transfer::TransferConfig {
            roots_pem: roots,
            system_roots: self.opts.transfer_system_roots,
            ..transfer::TransferConfig::default()
        }
    }
}
