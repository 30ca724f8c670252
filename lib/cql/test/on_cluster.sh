#!/bin/sh
# Runs a live-server test binary against node 1 of the test cluster
# (scripts/test.sh sets INVENTORY_TEST_CLUSTER_PORT); without one, says so
# and succeeds.
if [ -z "${INVENTORY_TEST_CLUSTER_PORT:-}" ]; then
  echo "no cluster (INVENTORY_TEST_CLUSTER_PORT): skipped"
  exit 0
fi
INVENTORY_TEST_CQL_HOST=127.0.0.1 INVENTORY_TEST_CQL_PORT="$INVENTORY_TEST_CLUSTER_PORT" exec "$@"
