"""disTokoloshe: self-hosted voice, video and screen-sharing rooms."""
