#!/bin/sh
# One-shot: create Parley's Kafka topics. Idempotent (--if-not-exists), so it runs on
# every `docker compose up`. Events are keyed by channel id; the partition count bounds
# how many consumers of one group share the work.
set -eu

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
partitions="${KAFKA_TOPIC_PARTITIONS:-6}"

for topic in ${KAFKA_TOPICS:-message.created}; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" \
    --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor 1
done

/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --describe
