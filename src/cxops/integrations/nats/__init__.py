"""NATS JetStream event bus: outbox relay, durable pull consumers, dead-letter subject, health check."""
