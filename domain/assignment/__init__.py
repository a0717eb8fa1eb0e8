"""What both programs do to a case itself rather than to a client's services: which caseworker
carries it. `DECISIONS` maps its commands to their decisions (`domain.handling`)."""
