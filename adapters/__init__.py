"""Adapters between the application and the outside: Avro contract, Kafka, the outbox relay."""
