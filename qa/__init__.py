"""Quality assurance: sales scripts, scoring a transcript against them with
evidence, and conversation metrics (arrives with the scoring issue)."""
