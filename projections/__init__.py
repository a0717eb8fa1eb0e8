"""Read models built from the case event stream in Kafka."""
