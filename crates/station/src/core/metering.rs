//! Meter values (section 4.7): sampled every MeterValueSampleInterval during a transaction
//! and clock-aligned every ClockAlignedDataInterval on the wall clock (TC_071), with the
//! measurands the configuration names. Values come from the hardware's latest reading. A
//! transaction's StopTransaction carries its Transaction.Begin and Transaction.End readings
//! (StopTxnSampledData) and the clock-aligned ones between (StopTxnAlignedData), at most
//! StopTransactionMaxMeterValues of them: the first and the latest (section 3.16).

use crate::context::durable_message;
use crate::context::Ctx;
use crate::outbox::{Context, Item};
use chrono::{DateTime, Duration, Utc};
use hal::MeterReading;
use ocpp::{
    Location, Measurand, MeterValue, MeterValuesRequest, ReadingContext, SampledValue,
    UnitOfMeasure,
};

/// One sampled value per measurand the reading can give (SoC only while an EV is connected).
pub(crate) fn sampled_values(
    reading: &MeterReading,
    measurands: &[Measurand],
    context: ReadingContext,
) -> Vec<SampledValue> {
    measurands
        .iter()
        .filter_map(|m| {
            let (value, unit, location) = match m {
                Measurand::EnergyActiveImportRegister => (
                    format!("{:.0}", reading.energy_wh),
                    UnitOfMeasure::Wh,
                    Location::Outlet,
                ),
                Measurand::PowerActiveImport => (
                    format!("{:.1}", reading.power_w),
                    UnitOfMeasure::W,
                    Location::Outlet,
                ),
                Measurand::PowerOffered => (
                    format!("{:.1}", reading.power_offered_w),
                    UnitOfMeasure::W,
                    Location::Outlet,
                ),
                Measurand::CurrentImport => (
                    format!("{:.1}", reading.current_a),
                    UnitOfMeasure::A,
                    Location::Outlet,
                ),
                Measurand::CurrentOffered => (
                    format!("{:.1}", reading.current_offered_a),
                    UnitOfMeasure::A,
                    Location::Outlet,
                ),
                Measurand::Voltage => (
                    format!("{:.1}", reading.voltage_v),
                    UnitOfMeasure::V,
                    Location::Outlet,
                ),
                Measurand::SoC => (
                    format!("{:.1}", reading.soc_percent?),
                    UnitOfMeasure::Percent,
                    Location::EV,
                ),
                Measurand::Temperature => (
                    format!("{:.1}", reading.temperature_c),
                    UnitOfMeasure::Celsius,
                    Location::Body,
                ),
                _ => return None,
            };
            Some(SampledValue {
                value,
                context: Some(context),
                format: None,
                measurand: Some(*m),
                phase: None,
                location: Some(location),
                unit: Some(unit),
            })
        })
        .collect()
}

/// A MeterValue, or None when no configured measurand has a value.
pub(crate) fn meter_value(
    reading: &MeterReading,
    measurands: &[Measurand],
    context: ReadingContext,
    at: DateTime<Utc>,
) -> Option<MeterValue> {
    let sampled_value = sampled_values(reading, measurands, context);
    (!sampled_value.is_empty()).then_some(MeterValue {
        timestamp: at,
        sampled_value,
    })
}

/// The next multiple of `interval` seconds after `now` on the wall clock.
pub(crate) fn next_aligned(now: DateTime<Utc>, interval_s: i64) -> Option<DateTime<Utc>> {
    if interval_s <= 0 {
        return None;
    }
    let next = (now.timestamp().div_euclid(interval_s) + 1) * interval_s;
    DateTime::from_timestamp(next, 0)
}

/// The latest multiple of `interval` seconds at or before `now` on the wall clock.
pub(crate) fn last_aligned(now: DateTime<Utc>, interval_s: i64) -> Option<DateTime<Utc>> {
    if interval_s <= 0 {
        return None;
    }
    DateTime::from_timestamp(now.timestamp().div_euclid(interval_s) * interval_s, 0)
}

/// The transactionData of a StopTransaction from its readings in time order: all of them,
/// or when they are more than StopTransactionMaxMeterValues (`max`), the first and the
/// latest ones, the intermediate ones dropped.
pub(crate) fn stop_transaction_data(mut values: Vec<MeterValue>, max: usize) -> Vec<MeterValue> {
    if values.len() > max && max > 0 {
        values.drain(1..values.len() + 1 - max);
    }
    values.truncate(max);
    values
}

/// Meter values: sampled during transactions (MeterValueSampleInterval) and clock-aligned
/// (ClockAlignedDataInterval). The readings sit on the connectors in `Ctx`.
#[derive(Debug, Default)]
pub(crate) struct Metering {
    /// When the next clock-aligned reading is due (a wall-clock time).
    next_aligned: Option<DateTime<Utc>>,
}

impl Metering {
    /// When the next clock-aligned reading is due (one of the station's deadlines).
    pub(crate) fn aligned_deadline(&self) -> Option<DateTime<Utc>> {
        self.next_aligned
    }

    pub(crate) fn schedule_aligned(&mut self, ctx: &Ctx, now: DateTime<Utc>) {
        self.next_aligned = next_aligned(now, ctx.config.current().clock_aligned_data_interval);
    }

    /// MeterValueSampleInterval changed: running transactions sample on the new interval.
    pub(crate) fn reschedule_samples(&mut self, ctx: &mut Ctx) {
        let interval = ctx.config.current().meter_value_sample_interval;
        let mono = ctx.time.mono;
        for c in ctx.connectors.iter_mut() {
            if let Some(tx) = c.tx.as_mut() {
                tx.next_sample = (interval > 0).then(|| mono + Duration::seconds(interval));
            }
        }
    }

    pub(crate) fn sample_timers(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        let interval = ctx.config.current().meter_value_sample_interval;
        let measurands = ctx.config.current().meter_values_sampled_data.clone();
        let mono = ctx.time.mono;
        for i in 1..ctx.connectors.len() {
            let c = &mut ctx.connectors[i];
            let Some(tx) = c.tx.as_mut() else { continue };
            let Some(due) = tx.next_sample.filter(|t| *t <= mono) else {
                continue;
            };
            // Keep the cadence; after a long gap take one sample, not a burst.
            let mut next = due;
            while next <= mono && interval > 0 {
                next = next + Duration::seconds(interval);
            }
            tx.next_sample = (interval > 0).then_some(next);
            let (local, reading, id) = (tx.local_id, c.meter, c.id);
            if let Some(mv) = reading
                .and_then(|r| meter_value(&r, &measurands, ReadingContext::SamplePeriodic, now))
            {
                self.queue_meter_values(ctx, id, Some(local), mv);
            }
        }
    }

    /// A ClockAlignedDataInterval boundary passed: a MeterValues.req (MeterValuesAlignedData,
    /// Sample.Clock) for every connector with a reading, connector 0 too when the drivers
    /// give one (a main meter; the simulator has none), each stamped with the boundary; and
    /// a running transaction keeps its StopTxnAlignedData reading for its StopTransaction.
    pub(crate) fn aligned_timer(&mut self, ctx: &mut Ctx, now: DateTime<Utc>) {
        if self.next_aligned.is_none_or(|t| t > now) {
            return;
        }
        self.schedule_aligned(ctx, now);
        let config = ctx.config.current();
        let at = last_aligned(now, config.clock_aligned_data_interval).unwrap_or(now);
        let measurands = config.meter_values_aligned_data.clone();
        let stop_measurands = config.stop_txn_aligned_data.clone();
        let stop_max = config.stop_transaction_max_meter_values.max(0) as usize;
        for i in 0..ctx.connectors.len() {
            let c = &mut ctx.connectors[i];
            let Some(reading) = c.meter else { continue };
            // (A transaction started since the boundary, by the same input, has none.)
            if let Some(tx) = c.tx.as_mut().filter(|tx| tx.started_at <= at) {
                let clock = ReadingContext::SampleClock;
                if let Some(mv) = meter_value(&reading, &stop_measurands, clock, at) {
                    tx.aligned.push(mv);
                    // The first and the latest are all a StopTransaction can carry.
                    if tx.aligned.len() > stop_max + 1 {
                        tx.aligned.remove(1);
                    }
                }
            }
            let (id, local) = (c.id, c.tx.as_ref().map(|t| t.local_id));
            let Some(mut mv) = meter_value(&reading, &measurands, ReadingContext::SampleClock, at)
            else {
                continue;
            };
            if id == 0 {
                // The station's own meter, at its grid connection.
                for v in &mut mv.sampled_value {
                    v.location = Some(Location::Inlet);
                }
            }
            self.queue_meter_values(ctx, id, local, mv);
        }
    }

    /// Transaction meter values are durable, and the transaction remembers the reading;
    /// others only matter while online.
    fn queue_meter_values(
        &mut self,
        ctx: &mut Ctx,
        connector: u32,
        local_tx: Option<i64>,
        mv: MeterValue,
    ) {
        let energy = ctx
            .connectors
            .get(connector as usize)
            .and_then(|c| c.meter)
            .map(|m| m.energy_wh.round() as i64);
        let at = mv.timestamp;
        let req = MeterValuesRequest {
            connector_id: connector as i32,
            transaction_id: local_tx.map(|_| -1),
            meter_value: vec![mv],
        };
        match (local_tx, energy) {
            (Some(local), Some(wh)) => {
                let Some(msg) = durable_message(&req, Some(local)) else {
                    return;
                };
                match ctx.store.tx_sample(local, wh, at, &msg) {
                    Ok(_) => ctx.outbox.push(Item::Durable),
                    Err(e) => tracing::error!("cannot queue MeterValues: {e}"),
                }
            }
            (Some(local), None) => ctx.queue_durable(&req, Some(local)),
            (None, _) if ctx.online => ctx.queue_call(&req, Context::None),
            (None, _) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading() -> MeterReading {
        MeterReading {
            energy_wh: 1234.4,
            power_w: 50_000.0,
            current_a: 125.0,
            voltage_v: 400.0,
            current_offered_a: 200.0,
            power_offered_w: 80_000.0,
            soc_percent: Some(41.0),
            temperature_c: 31.5,
        }
    }

    #[test]
    fn every_reference_measurand_has_its_unit_and_location() {
        let all = crate::config::parse_measurands(crate::config::ALL_SAMPLED_MEASURANDS).unwrap();
        let values = sampled_values(&reading(), &all, ReadingContext::SamplePeriodic);
        assert_eq!(values.len(), 8);
        let energy = &values[0];
        assert_eq!(energy.value, "1234");
        assert_eq!(energy.unit, Some(UnitOfMeasure::Wh));
        let soc = values
            .iter()
            .find(|v| v.measurand == Some(Measurand::SoC))
            .unwrap();
        assert_eq!(soc.location, Some(Location::EV));
        assert_eq!(soc.unit, Some(UnitOfMeasure::Percent));
    }

    /// What ChangeConfiguration accepts (`config::supported_measurand`) is exactly what a
    /// reading gives.
    #[test]
    fn the_supported_measurands_are_those_a_reading_gives() {
        for m in Measurand::ALL {
            let values = sampled_values(&reading(), &[*m], ReadingContext::SampleClock);
            assert_eq!(
                !values.is_empty(),
                crate::config::supported_measurand(*m),
                "{}",
                m.as_str()
            );
        }
    }

    #[test]
    fn stop_transaction_data_keeps_the_first_and_the_latest() {
        let mv = |s: i64| MeterValue {
            timestamp: DateTime::from_timestamp(s, 0).unwrap(),
            sampled_value: Vec::new(),
        };
        let times = |v: Vec<MeterValue>| -> Vec<i64> {
            v.iter().map(|m| m.timestamp.timestamp()).collect()
        };
        let four = || (1..=4).map(mv).collect::<Vec<_>>();
        assert_eq!(times(stop_transaction_data(four(), 2)), vec![1, 4]);
        assert_eq!(times(stop_transaction_data(four(), 3)), vec![1, 3, 4]);
        assert_eq!(times(stop_transaction_data(four(), 4)), vec![1, 2, 3, 4]);
        assert_eq!(times(stop_transaction_data(four(), 9)), vec![1, 2, 3, 4]);
        assert_eq!(times(stop_transaction_data(four(), 1)), vec![1]);
        assert!(stop_transaction_data(four(), 0).is_empty());
    }

    #[test]
    fn soc_is_left_out_without_an_ev() {
        let mut r = reading();
        r.soc_percent = None;
        let v = sampled_values(&r, &[Measurand::SoC], ReadingContext::SampleClock);
        assert!(v.is_empty());
        assert!(meter_value(
            &r,
            &[Measurand::SoC],
            ReadingContext::SampleClock,
            DateTime::UNIX_EPOCH
        )
        .is_none());
    }

    #[test]
    fn aligned_times_are_wall_clock_multiples() {
        let t = DateTime::from_timestamp(1_700_000_123, 0).unwrap();
        let next = next_aligned(t, 900).unwrap();
        assert_eq!(next.timestamp() % 900, 0);
        assert!(next > t && next - t <= Duration::seconds(900));
        assert_eq!(next_aligned(t, 0), None);
        let last = last_aligned(t, 900).unwrap();
        assert_eq!(next - last, Duration::seconds(900));
        assert_eq!(last_aligned(next, 900), Some(next));
        assert_eq!(last_aligned(t, 0), None);
    }
}
