#!/bin/bash
# One-shot setup of the docker-compose Kafka (the kafka-setup service): creates streamrank's
# topics, then applies deploy/kafka/acls.txt, as the super user. Safe to run again: topics are
# created if missing, and adding an ACL that exists is a no-op.
set -euo pipefail
bin=/opt/kafka/bin
servers="${KAFKA_BOOTSTRAP:-kafka:9092}"
admin="${KAFKA_ADMIN_CONFIG:-/etc/streamrank/admin.properties}"
acls="${KAFKA_ACLS:-/etc/streamrank/acls.txt}"
partitions="${STREAMRANK_PARTITIONS:-6}"

topic() {
  "$bin/kafka-topics.sh" --bootstrap-server "$servers" --command-config "$admin" \
    --create --if-not-exists --topic "$1" --partitions "$2" --replication-factor 1 "${@:3}"
}
for t in events ratings predictions monitoring dead-letters; do
  topic "$t" "$partitions"
done
topic model-updates 1 --config cleanup.policy=compact
topic model-decisions 1 --config cleanup.policy=compact
topic retrain-requests 1

line=0
while read -r permission principal operation type name pattern rest; do
  line=$((line + 1))
  [[ -z "${permission}" || "${permission}" == \#* ]] && continue
  case "$permission" in
    allow|deny) ;;
    *) echo "$acls:$line: expected allow or deny, got '$permission'" >&2; exit 1 ;;
  esac
  case "$type" in
    Topic) resource=(--topic "$name") ;;
    Group) resource=(--group "$name") ;;
    TransactionalId) resource=(--transactional-id "$name") ;;
    *) echo "$acls:$line: unknown resource type '$type'" >&2; exit 1 ;;
  esac
  "$bin/kafka-acls.sh" --bootstrap-server "$servers" --command-config "$admin" --add \
    "--$permission-principal" "$principal" --operation "$operation" "${resource[@]}" \
    --resource-pattern-type "${pattern:-literal}"
done < "$acls"
echo "kafka-setup: topics and ACLs in place"
