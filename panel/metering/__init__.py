"""Usage metering: Prometheus is the sensor, the ledger here is the books."""
