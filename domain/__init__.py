"""The post-employment services domain: aggregates, events, rules and policy. No I/O here."""
