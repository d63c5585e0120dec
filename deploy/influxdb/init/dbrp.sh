#!/bin/bash
# Run once by the influxdb:2 image after its initial setup (/docker-entrypoint-initdb.d):
# map the v1 database the InfluxQL readers (engine history, Grafana) name to the zcf bucket.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${ZCF_INFLUX_DB:-zcf}" \
  --rp autogen \
  --default
