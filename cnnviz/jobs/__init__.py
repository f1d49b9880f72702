"""Background trainings: a session's job, the server's slots and queue, the process, pacing."""
