"""The application layer: use cases over the domain, persistence mapping, settings and wiring."""
