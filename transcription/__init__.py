"""Speech to text on premises: a call's recording in, a per-speaker dialogue
out (the model, speech regions, the engine, hallucination filter and normal
form), and the job handler and workers that run it from the queue."""
