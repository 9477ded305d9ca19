package olt

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

// Families are declared once; a scrape only fills in values. Every per-ONU series has the
// labels pon and onu; names and MAC addresses live only on olt_onu_info, so a renamed ONU
// keeps its history.
var (
	onuState = collector.NewFamily("olt_onu_state",
		"ONU state, one-hot over the states the OLT's driver can show: up, down, pwrdown, loopdetected (HiOSO); V-SOL and HSGQ add los. An ONU in a state the driver does not know also has a series with state unknown, value 1.",
		prometheus.GaugeValue, "pon", "onu", "state")
	onuRxPower = collector.NewFamily("olt_onu_rx_power_dbm",
		"Optical power the ONU receives from the OLT, in dBm; absent when the OLT has no valid reading (ONU offline, -40 dBm floor, all-ones DDM).",
		prometheus.GaugeValue, "pon", "onu")
	onuTxPower = collector.NewFamily("olt_onu_tx_power_dbm",
		"Optical power the ONU transmits, in dBm; absent when the OLT has no valid reading.",
		prometheus.GaugeValue, "pon", "onu")
	onuTemperature = collector.NewFamily("olt_onu_temperature_celsius",
		"Temperature of the ONU's optical module; absent when the OLT has no valid reading.",
		prometheus.GaugeValue, "pon", "onu")
	onuVoltage = collector.NewFamily("olt_onu_voltage_volts",
		"Supply voltage of the ONU's optical module; absent when the OLT has no valid reading.",
		prometheus.GaugeValue, "pon", "onu")
	onuBias = collector.NewFamily("olt_onu_bias_current_amperes",
		"Laser bias current of the ONU's optical module; absent when the OLT has no valid reading.",
		prometheus.GaugeValue, "pon", "onu")
	onuDistance = collector.NewFamily("olt_onu_distance_meters",
		"Fibre distance from the OLT to the ONU, worked out from the round-trip time as the OLT's own page does.",
		prometheus.GaugeValue, "pon", "onu")
	onuOnline = collector.NewFamily("olt_onu_online_seconds",
		"Time the ONU has been online since it last registered.",
		prometheus.GaugeValue, "pon", "onu")
	onuDeregistrations = collector.NewFamily("olt_onu_deregistrations_total",
		"Times the ONU deregistered from the OLT, as the OLT counts them (reset when the OLT restarts).",
		prometheus.CounterValue, "pon", "onu")
	onuDyingGasp = collector.NewFamily("olt_onu_dying_gasp",
		"1 when the ONU's last offline was a power loss (it sent a dying gasp), 0 when it was not.",
		prometheus.GaugeValue, "pon", "onu")
	onuOfflineReason = collector.NewFamily("olt_onu_offline_reason",
		"Why the ONU went offline (other, timeout, onu_init, olt_init, blacklisted, not_whitelisted): one series with value 1, only for ONUs that are not up, and only when the OLT says.",
		prometheus.GaugeValue, "pon", "onu", "reason")
	onuInfo = collector.NewFamily("olt_onu_info",
		"The ONU's name, MAC address, firmware, authorisation (activated or deactivated) and CTC negotiation status; always 1.",
		prometheus.GaugeValue, "pon", "onu", "name", "mac", "firmware", "auth", "ctc_status")
	ponONUs = collector.NewFamily("olt_pon_onus",
		"ONUs the OLT lists on the PON port, by state: every state of olt_onu_state's set, zeros included (unknown only when an ONU is in it).",
		prometheus.GaugeValue, "pon", "state")
	dataAge = collector.NewFamily("olt_data_age_seconds",
		"Age of the data in this scrape: time since the OLT's pages were read. Reads are at least the target's min_interval apart; scrapes in between repeat the last read.",
		prometheus.GaugeValue)
)
