"""The reporting consumer: caseload over time, post-employment timeliness, outcomes (issue #7)."""
