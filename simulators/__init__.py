"""Simulated plant: Modbus meters, PV inverter and OPC UA PLCs driven by a seeded scenario."""
