"""Edge agent: polls Modbus and OPC UA devices and publishes their telemetry over MQTT."""
