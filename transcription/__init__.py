"""Speech to text on premises: audio in, per-speaker dialogue out, and the
worker that runs it from the job queue (arrives with the transcription issue)."""
